//! Folders written by the Python FluxDB 0.1 library: a badge says so, and
//! (now that the engine writes that format safely) they open read-write.

use egui_kittest::kittest::Queryable;

use crate::support::{config, harness, page_ids, python_folder, wait_for_label, wait_idle};

#[test]
fn a_python_folder_opens_with_its_badge_and_its_text_values() {
    let (tmp, db) = python_folder();
    let mut harness = harness(config(Some(&db), tmp.path()));
    wait_for_label(&mut harness, "Python 0.1");
    wait_idle(&mut harness);
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

    harness.get_by_label("products").click();
    wait_for_label(&mut harness, "P0000");
    wait_idle(&mut harness);
    assert_eq!(page_ids(&harness).first().map(String::len), Some(36));
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
