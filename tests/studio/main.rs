//! FluxDB Studio end to end: egui_kittest drives the real app (real worker,
//! real engine) on temporary databases, headless.

mod big_values;
mod browse;
mod chart;
mod copy_as;
mod dialogs;
mod diff_views;
mod edit;
mod errors;
mod explain;
mod legacy;
mod live;
mod mongo;
mod schema;
mod start_screen;
mod support;
