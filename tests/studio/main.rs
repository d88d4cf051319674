//! FluxDB Studio end to end: egui_kittest drives the real app (real worker,
//! real engine) on temporary databases, headless.

mod browse;
mod copy_as;
mod dialogs;
mod diff_views;
mod edit;
mod errors;
mod legacy;
mod live;
mod mongo;
mod start_screen;
mod support;
