//! The signed-in user and the account actions, shared through context.

use crate::{
    api::auth::{get_current_user, CreateFirstAdmin, Login, LoginSecondFactor, Logout, Register},
    domain::user::CurrentUser,
    error::AppError,
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub register: ServerAction<Register>,
    pub setup: ServerAction<CreateFirstAdmin>,
    pub second_factor: ServerAction<LoginSecondFactor>,
    /// Reloads whenever one of the actions above completes.
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

pub fn provide_auth() -> Auth {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let register = ServerAction::<Register>::new();
    let setup = ServerAction::<CreateFirstAdmin>::new();
    let second_factor = ServerAction::<LoginSecondFactor>::new();
    let user = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                register.version().get(),
                setup.version().get(),
                second_factor.version().get(),
            )
        },
        |_| get_current_user(),
    );
    let auth = Auth {
        login,
        logout,
        register,
        setup,
        second_factor,
        user,
    };
    provide_context(auth);
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}
