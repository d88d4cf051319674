//! Folders written by the Python FluxDB 0.1 library: a badge says so, and
//! (now that the engine writes that format safely) they open read-write.

use egui_kittest::kittest::Queryable;

use fluxdb::engine::{Find, FluxDB, StorageFormat};
use serde_json::json;

use crate::support::{
    App, click, config, context_menu, double_click, harness, is_disabled, page_ids, python_folder,
    retype, set_text, wait_for_label, wait_idle, wait_notice, write_and_wait,
};

/// The Python folder open in Studio with `products` on screen.
fn products_open() -> (tempfile::TempDir, std::path::PathBuf, App) {
    let (tmp, db) = python_folder();
    let mut harness = harness(config(Some(&db), tmp.path()));
    wait_for_label(&mut harness, "Python 0.1");
    wait_idle(&mut harness);
    harness.get_by_label("products").click();
    wait_for_label(&mut harness, "P0000");
    wait_idle(&mut harness);
    (tmp, db, harness)
}

/// The `products` record whose `sku` is `sku`, read back by the engine.
fn product(db: &std::path::Path, sku: &str) -> Option<fluxdb::Document> {
    let engine = FluxDB::open_read_only(db).expect("reopen the Python folder");
    engine
        .find("products", &Find::new(json!({"sku": sku})))
        .expect("query products")
        .into_iter()
        .next()
}

#[test]
fn a_python_folder_opens_with_its_badge_and_its_text_values() {
    let (_tmp, _db, mut harness) = products_open();
    let folder = harness.state().state().folder.clone();
    assert!(
        folder.as_ref().is_some_and(|f| f.legacy && !f.read_only),
        "{folder:?}"
    );
    assert!(harness.query_by_label("read-only").is_none());
    assert!(
        harness
            .query_all_by_label_contains("python-0.1")
            .next()
            .is_some()
    );
    assert_eq!(page_ids(&harness).first().map(String::len), Some(36));
    // Python 0.1 files are never compressed: Compression… is off.
    harness.get_by_label("products").click_secondary();
    harness.run_steps(2);
    assert!(is_disabled(&harness, "Compression…"));
    // New collections in this folder are Python 0.1 ones: no codec to pick.
    click(&mut harness, "New collection…");
    wait_for_label(&mut harness, "Python 0.1 collections are never compressed");
    assert!(harness.query_by_label("zstd (strong)").is_none());
    click(&mut harness, "Cancel");
    // Every value the Python library stored is text: "466", not 466.
    let price = harness
        .state()
        .state()
        .current
        .as_ref()
        .and_then(|v| v.page.as_ref())
        .and_then(|p| p.docs.first())
        .and_then(|d| d.get("price").cloned());
    assert_eq!(price, Some(serde_json::json!("466")));
}

#[test]
fn a_python_cell_edit_is_written_as_text_in_the_python_format() {
    let (_tmp, db, mut harness) = products_open();
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    double_click(&mut harness, "P0000");
    assert!(harness.state().state().edit.cell.is_some());
    // The cell editor offers text only (its note says every value is kept as text).
    assert!(harness.state().state().current_is_legacy());
    retype(&mut harness, "P0000-fixed");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    write_and_wait(&mut harness);
    wait_for_label(&mut harness, "Wrote 1 change in one transaction");
    drop(harness);
    let record = product(&db, "P0000-fixed").expect("the edited record is on disk");
    // The other fields are still the text the Python library wrote.
    assert_eq!(record.get("price"), Some(&json!("466")));
    assert!(product(&db, "P0000").is_none());
    let engine = FluxDB::open_read_only(&db).expect("reopen");
    assert!(
        engine
            .collection_info("products")
            .is_ok_and(|info| info.format == StorageFormat::Legacy),
        "products stays a Python 0.1 collection"
    );
}

#[test]
fn an_import_into_a_python_collection_appends_its_values_as_text() {
    let (tmp, db, mut harness) = products_open();
    let file = tmp.path().join("more.json");
    std::fs::write(
        &file,
        r#"[{"_id": "new-1", "sku": "P9000", "price": 12, "sale": true}]"#,
    )
    .expect("write the import file");
    context_menu(&mut harness, "products", "Import…");
    set_text(&mut harness, "File path", &file.display().to_string());
    set_text(&mut harness, "Into collection", "products");
    wait_for_label(&mut harness, "P9000");
    harness.get_by_label_contains("its values are text only");
    click(&mut harness, "Import");
    wait_notice(&mut harness, "Appended to products: 1 records imported");
    drop(harness);
    let record = product(&db, "P9000").expect("the imported record is on disk");
    assert_eq!(record.get("price"), Some(&json!("12")));
    assert_eq!(record.get("_id"), Some(&json!("new-1")));
}
