pub mod form;
pub mod layout;
pub mod mailed_code;
pub mod quota;
pub mod style;
pub mod theme_toggle;
pub mod time;
