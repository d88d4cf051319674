//! The `fluxdb` Python module: the Python FluxDB 0.1 library's API over
//! the Rust engine. The package's `fluxdb/__init__.py` re-exports what this
//! native module (`fluxdb._native`) defines.

mod codec;
mod convert;
mod cursor;
mod db;
mod errors;
mod shared;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<db::PyFluxDB>()?;
    m.add_class::<cursor::FindIter>()?;
    m.add_class::<cursor::Transaction>()?;
    m.add("FluxDBError", py.get_type::<errors::FluxDBError>())?;
    m.add(
        "CollectionNotFoundError",
        py.get_type::<errors::CollectionNotFoundError>(),
    )?;
    m.add(
        "TransactionError",
        py.get_type::<errors::TransactionError>(),
    )?;
    m.add(
        "RecordEncodingError",
        py.get_type::<errors::RecordEncodingError>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(shared::_close_all, m)?)?;
    Ok(())
}
