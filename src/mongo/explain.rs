//! `explain` on a server: the server's own plan (the `explain` command at
//! `executionStats`), summarised as a folder's [`Explain`] is: the index
//! used, whether it gave the sort order, documents examined and returned.
//!
//! MongoDB's plan is a tree of stages (`IXSCAN` with its `keyPattern`,
//! `COLLSCAN`, `SORT`, …). Servers that speak the protocol over another
//! store may answer with their own plan text instead; a node whose
//! `detail` says `USING INDEX NAME` is read as that index.
//!
//! [`MongoServer::explain_plan`] gives Studio the plan with its stages and
//! whether the server counted anything (nx-27017 answers 0 for every count).

use std::future::IntoFuture;

use mongodb::bson::{Bson, Document as BsonDocument, doc};

use super::convert::{filter_to_bson, json_to_document};
use super::server::MongoServer;
use crate::engine::{Explain, Find, SortMethod};
use crate::error::Result;

/// How a server answers a query: the folder's summary of its plan, and
/// what only a server's plan has.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerPlan {
    /// The index used, the sort, documents examined and returned, the
    /// collection's estimated size, the server's own time.
    pub summary: Explain,
    /// The server ran the query and said how many documents it examined
    /// and returned (`executionStats`); without it the counts are 0.
    pub counted: bool,
    /// The winning plan's stages, top first: `LIMIT`, `FETCH`,
    /// `IXSCAN age_1`, or the lines of a server's own plan text.
    pub stages: Vec<String>,
}

impl MongoServer {
    /// How the server would answer `query`, summarised.
    pub fn explain(&self, collection: &str, query: &Find) -> Result<Explain> {
        self.require_collection(collection)?;
        Ok(self.explain_plan(collection, query, true)?.summary)
    }

    /// How the server answers `query` on a collection that exists. With
    /// `run`, the server runs the query again for its counts and time
    /// (`executionStats`); without, it only plans it (`queryPlanner`). The
    /// collection's indexes and size are asked for at the same time.
    pub fn explain_plan(&self, collection: &str, query: &Find, run: bool) -> Result<ServerPlan> {
        let mut find = doc! {"find": collection, "filter": filter_to_bson(&query.filter)?};
        if let Some(sort) = &query.sort {
            find.insert("sort", json_to_document(sort, "the sort")?);
        }
        if query.skip > 0 {
            find.insert("skip", i64::try_from(query.skip).unwrap_or(i64::MAX));
        }
        if let Some(limit) = query.limit.filter(|&l| l > 0) {
            find.insert("limit", i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let verbosity = if run {
            "executionStats"
        } else {
            "queryPlanner"
        };
        let command = doc! {"explain": find, "verbosity": verbosity};
        let database = self.database()?;
        let coll = self.collection(collection)?;
        let (answer, indexes, total) = self.block_on(async {
            let indexes = async {
                let mut cursor = coll.list_indexes().await?;
                let mut keys = Vec::new();
                while cursor.advance().await? {
                    let model = cursor.deserialize_current()?;
                    let name = model.options.and_then(|o| o.name).unwrap_or_default();
                    if let Some(field) = model.keys.keys().next() {
                        keys.push((name, field.clone()));
                    }
                }
                Ok(keys)
            };
            tokio::try_join!(
                database.run_command(command).into_future(),
                indexes,
                coll.estimated_document_count().into_future(),
            )
        })?;
        let summary = summarise(&answer, &indexes, query, total);
        let counted = answer
            .get_document("executionStats")
            .is_ok_and(|stats| stats.contains_key("nReturned"));
        Ok(ServerPlan {
            summary,
            counted,
            stages: plan_stages(&answer),
        })
    }
}

/// The winning plan's stages, top first: each stage's name with the index
/// it reads (`IXSCAN age_1`), or a server's plan text line by line.
fn plan_stages(answer: &BsonDocument) -> Vec<String> {
    fn walk(node: &Bson, out: &mut Vec<String>) {
        match node {
            Bson::Array(items) => items.iter().for_each(|item| walk(item, out)),
            Bson::Document(stage) => {
                let name = stage.get_str("stage").ok();
                let index = stage.get_str("indexName").ok();
                let detail = stage.get_str("detail").ok();
                let line = match (name, index, detail) {
                    (Some(name), Some(index), _) => Some(format!("{name} {index}")),
                    (Some(name), None, _) => Some(name.to_owned()),
                    (None, _, Some(detail)) => Some(detail.to_owned()),
                    (None, _, None) => None,
                };
                out.extend(line);
                for (key, value) in stage {
                    if matches!(key.as_str(), "inputStage" | "inputStages" | "queryPlan") {
                        walk(value, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut stages = Vec::new();
    if let Some(winning) = answer
        .get_document("queryPlanner")
        .ok()
        .and_then(|planner| planner.get("winningPlan"))
    {
        walk(winning, &mut stages);
    }
    stages
}

/// The plan `answer` as a folder's explain; `indexes` are the collection's
/// (name, first key field).
pub(super) fn summarise(
    answer: &BsonDocument,
    indexes: &[(String, String)],
    query: &Find,
    total: u64,
) -> Explain {
    let planner = answer.get_document("queryPlanner").ok();
    let winning = planner.and_then(|p| p.get("winningPlan"));
    let mut plan = PlanFacts::default();
    if let Some(winning) = winning {
        plan.visit(winning, indexes);
    }
    let stats = answer.get_document("executionStats").ok();
    let number = |key: &str| stats.and_then(|s| s.get(key)).and_then(as_count);
    let sort_field = query
        .sort
        .as_ref()
        .and_then(|s| s.as_object())
        .and_then(|s| s.keys().next().cloned());
    let index_ordered = plan.index.is_some() && sort_field.is_some() && !plan.sorts_in_memory;
    let sort = match (&query.sort, index_ordered, query.limit) {
        (None, _, _) => SortMethod::None,
        (Some(_), true, _) => SortMethod::Index,
        (Some(_), false, Some(_)) => SortMethod::TopInMemory,
        (Some(_), false, None) => SortMethod::AllInMemory,
    };
    let millis = stats
        .and_then(|s| s.get("executionTimeMillis"))
        .and_then(as_count)
        .unwrap_or(0);
    Explain {
        index: plan.index,
        index_ordered,
        examined: number("totalDocsExamined").unwrap_or(0),
        returned: number("nReturned").unwrap_or(0),
        total: usize::try_from(total).unwrap_or(usize::MAX),
        // The server's plan names its bounds in its own terms; they are
        // not turned into lookups here.
        lookups: Vec::new(),
        candidates: None,
        sort,
        time: std::time::Duration::from_millis(millis as u64),
    }
}

/// What a walk of the winning plan found.
#[derive(Default)]
struct PlanFacts {
    /// The first key field of the index used.
    index: Option<String>,
    /// A `SORT` stage: the order did not come from the index.
    sorts_in_memory: bool,
}

impl PlanFacts {
    fn visit(&mut self, node: &Bson, indexes: &[(String, String)]) {
        match node {
            Bson::Array(items) => items.iter().for_each(|item| self.visit(item, indexes)),
            Bson::Document(stage) => {
                match stage.get_str("stage") {
                    Ok("IXSCAN" | "COUNT_SCAN" | "DISTINCT_SCAN") if self.index.is_none() => {
                        self.index = stage
                            .get_document("keyPattern")
                            .ok()
                            .and_then(|keys| keys.keys().next().cloned())
                            .or_else(|| stage.get_str("indexName").ok().map(str::to_owned));
                    }
                    Ok("SORT") => self.sorts_in_memory = true,
                    _ => {}
                }
                if let Ok(detail) = stage.get_str("detail") {
                    self.read_detail(detail, indexes);
                }
                for (key, value) in stage {
                    if matches!(key.as_str(), "inputStage" | "inputStages" | "queryPlan") {
                        self.visit(value, indexes);
                    }
                }
            }
            _ => {}
        }
    }

    /// Plan text as SQLite writes it: `SEARCH t USING INDEX name (…)`,
    /// `USE TEMP B-TREE FOR ORDER BY`.
    fn read_detail(&mut self, detail: &str, indexes: &[(String, String)]) {
        if detail.contains("TEMP B-TREE FOR ORDER BY") {
            self.sorts_in_memory = true;
        }
        let named = detail
            .split_once("USING INDEX ")
            .or_else(|| detail.split_once("USING COVERING INDEX "))
            .map(|(_, rest)| rest.split_whitespace().next().unwrap_or_default());
        if let Some(name) = named
            && self.index.is_none()
        {
            let field = indexes
                .iter()
                .find(|(index, _)| index == name)
                .map_or(name, |(_, field)| field.as_str());
            self.index = Some(field.to_owned());
        }
    }
}

fn as_count(value: &Bson) -> Option<usize> {
    match value {
        Bson::Int32(n) => usize::try_from(*n).ok(),
        Bson::Int64(n) => usize::try_from(*n).ok(),
        Bson::Double(f) if *f >= 0.0 => Some(*f as usize),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_mongodb_plan_names_its_index_and_counts() {
        let answer = doc! {
            "queryPlanner": {"winningPlan": {"stage": "LIMIT", "inputStage": {
                "stage": "FETCH", "inputStage": {"stage": "IXSCAN", "keyPattern": {"age": 1}, "indexName": "age_1"}}}},
            "executionStats": {"nReturned": 5_i32, "totalDocsExamined": 5_i32, "executionTimeMillis": 3_i32},
        };
        let query = Find::new(json!({"age": {"$gt": 1}})).sort(json!({"age": 1}));
        let explain = summarise(&answer, &[], &query, 100);
        assert_eq!(
            explain,
            Explain {
                index: Some("age".to_owned()),
                index_ordered: true,
                examined: 5,
                returned: 5,
                total: 100,
                lookups: Vec::new(),
                candidates: None,
                sort: SortMethod::Index,
                time: std::time::Duration::from_millis(3),
            }
        );
    }

    #[test]
    fn plan_text_names_the_index_by_its_name() {
        let answer = doc! {
            "queryPlanner": {"winningPlan": [{"detail": "SEARCH u USING INDEX idx_u_age (<expr>>?)"}]},
            "executionStats": {"nReturned": 0_i32, "totalDocsExamined": 0_i32},
        };
        let indexes = [("idx_u_age".to_owned(), "age".to_owned())];
        let explain = summarise(&answer, &indexes, &Find::new(json!({})), 3);
        assert_eq!(explain.index.as_deref(), Some("age"));
        assert!(!explain.index_ordered);
        let scan = doc! {"queryPlanner": {"winningPlan": {"stage": "COLLSCAN"}}};
        assert_eq!(summarise(&scan, &[], &Find::new(json!({})), 3).index, None);
        assert_eq!(
            plan_stages(&answer),
            ["SEARCH u USING INDEX idx_u_age (<expr>>?)"]
        );
    }

    #[test]
    fn a_mongodb_plan_lists_its_stages_top_first() {
        let answer = doc! {
            "queryPlanner": {"winningPlan": {"stage": "LIMIT", "inputStage": {
                "stage": "FETCH", "inputStage": {"stage": "IXSCAN", "keyPattern": {"age": 1}, "indexName": "age_1"}}}},
        };
        assert_eq!(plan_stages(&answer), ["LIMIT", "FETCH", "IXSCAN age_1"]);
    }
}
