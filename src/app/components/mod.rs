pub mod form;
pub mod layout;
pub mod theme_toggle;
pub mod time;
