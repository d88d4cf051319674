//! The aggregation pipeline: stages and accumulators with MongoDB's meaning.
//!
//! Documents are pushed through the stages one at a time: `$match`,
//! `$project`, `$skip`, `$limit` and `$unwind` stream, while `$group`, `$sort`
//! and `$count` collect and release their results once the input ends. When a
//! `$limit` that no collecting stage precedes is satisfied, input stops being
//! read.

mod expression;
mod group;
mod stage;
mod stats;

use serde_json::{Map, Value};

use crate::engine::Document;
use crate::engine::query::{Filter, ValueMode};
use crate::error::{Error, Result};
use group::GroupState;
use stage::Stage;
use stats::Meter;
pub use stats::{PipelineExplain, StageStats};

/// Pipelines longer than this are refused (each stage is a level of the
/// push recursion).
pub const MAX_PIPELINE_STAGES: usize = 1000;

/// A parsed pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    stages: Vec<Stage>,
    /// Each stage's name and text as written, for explain.
    labels: Vec<(String, Value)>,
}

impl Pipeline {
    /// Parses `[{"$stage": spec}, ...]`; errors name the stage and its position.
    pub fn parse(pipeline: &Value) -> Result<Pipeline> {
        crate::engine::nesting::check_input_depth(
            pipeline,
            "the pipeline",
            Error::InvalidPipeline,
        )?;
        Self::parse_unchecked(pipeline).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(pipeline: &Value) -> Result<Pipeline> {
        let Value::Array(items) = pipeline else {
            return Err(Error::InvalidPipeline(format!(
                "a pipeline must be an array of stages such as [{{\"$match\": {{...}}}}], not {pipeline}"
            )));
        };
        if items.len() > MAX_PIPELINE_STAGES {
            return Err(Error::InvalidPipeline(format!(
                "a pipeline may have at most {MAX_PIPELINE_STAGES} stages, not {}",
                items.len()
            )));
        }
        let labels = items
            .iter()
            .map(
                |item| match item.as_object().and_then(|s| s.iter().next()) {
                    Some((name, spec)) => (name.clone(), spec.clone()),
                    None => (String::new(), Value::Null),
                },
            )
            .collect();
        let stages = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let position = i + 1;
                match item {
                    Value::Object(stage) if stage.len() == 1 => {
                        let (name, spec) = stage.iter().next().ok_or_else(|| {
                            Error::InvalidPipeline(format!("stage {position} is empty"))
                        })?;
                        Stage::parse(name, spec, &format!("stage {position} ({name})"))
                    }
                    _ => Err(Error::InvalidPipeline(format!(
                        "stage {position} must be an object with exactly one stage name, not {item}"
                    ))),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Pipeline { stages, labels })
    }

    /// The filter of a leading `$match`, so the engine can use indexes for it.
    pub fn leading_match(&self) -> Option<&Filter> {
        match self.stages.first() {
            Some(Stage::Match(filter)) => Some(filter),
            _ => None,
        }
    }

    /// The top-level fields of the input documents the pipeline reads, when
    /// it ends in a `$group` or `$count` before anything passes documents on
    /// whole; `None` when it needs whole documents. The engine then decodes
    /// only these fields.
    pub fn input_fields(&self) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        for stage in &self.stages {
            match stage {
                Stage::Match(filter) => fields.extend(filter.top_level_fields()),
                Stage::Sort(sort) => fields.extend(sort.top_level_fields()),
                Stage::Skip(_) | Stage::Limit(_) => {}
                Stage::Group(group) => {
                    fields.extend(group.input_fields()?);
                    return Some(fields);
                }
                Stage::Count(_) => return Some(fields),
                Stage::Project(_) | Stage::Unwind(_) => return None,
            }
        }
        None
    }

    /// Runs over typed documents in natural order.
    pub fn run<I: Iterator<Item = Result<Document>>>(&self, input: I) -> Result<Vec<Document>> {
        self.run_in(input, ValueMode::Typed)
    }

    /// Runs with a value mode (`LegacyText` for Python 0.1 folders: `$match`
    /// and `$sort` read numeric text as numbers, `$sum`/`$avg` add it).
    pub fn run_in<I: Iterator<Item = Result<Document>>>(
        &self,
        input: I,
        mode: ValueMode,
    ) -> Result<Vec<Document>> {
        self.run_measured(input, mode, false).map(|(out, _)| out)
    }

    /// [`run_in`](Self::run_in), with each stage's account when `measure`
    /// (which costs two clock reads per record per stage).
    pub fn run_measured<I: Iterator<Item = Result<Document>>>(
        &self,
        input: I,
        mode: ValueMode,
        measure: bool,
    ) -> Result<(Vec<Document>, Vec<StageStats>)> {
        let mut runner = Runner::new(&self.stages, mode, measure);
        for item in input {
            if !runner.push(0, item?)? {
                break;
            }
        }
        runner.finish()?;
        Ok(runner.into_output(&self.labels))
    }

    /// [`run_in`](Self::run_in) for input given by reference: `feed` calls
    /// its argument with each input document (which may be reused from one
    /// to the next, see `CollectionStore::visit_fields`) until it returns
    /// `Ok(false)`. Stages that only read (`$match`, `$group`, `$count`)
    /// take the document as lent; the first that keeps one clones it.
    pub fn run_lent(
        &self,
        mode: ValueMode,
        feed: impl FnOnce(&mut dyn FnMut(&Document) -> Result<bool>) -> Result<()>,
    ) -> Result<Vec<Document>> {
        self.run_lent_measured(mode, false, feed)
            .map(|(out, _)| out)
    }

    /// [`run_lent`](Self::run_lent), with each stage's account when `measure`.
    pub fn run_lent_measured(
        &self,
        mode: ValueMode,
        measure: bool,
        feed: impl FnOnce(&mut dyn FnMut(&Document) -> Result<bool>) -> Result<()>,
    ) -> Result<(Vec<Document>, Vec<StageStats>)> {
        let mut runner = Runner::new(&self.stages, mode, measure);
        feed(&mut |doc| runner.push_lent(0, doc))?;
        runner.finish()?;
        Ok(runner.into_output(&self.labels))
    }
}

/// Per-stage running state.
enum StageState {
    Stateless,
    Skip { skipped: u64 },
    Limit { taken: u64 },
    Group(GroupState),
    Sort(Vec<Document>),
    Count(u64),
}

struct Runner<'p> {
    stages: &'p [Stage],
    states: Vec<StageState>,
    mode: ValueMode,
    output: Vec<Document>,
    /// Each stage's account, when explaining.
    meter: Option<Meter>,
}

impl<'p> Runner<'p> {
    fn new(stages: &'p [Stage], mode: ValueMode, measure: bool) -> Runner<'p> {
        let states = stages
            .iter()
            .map(|stage| match stage {
                Stage::Skip(_) => StageState::Skip { skipped: 0 },
                Stage::Limit(_) => StageState::Limit { taken: 0 },
                Stage::Group(_) => StageState::Group(GroupState::default()),
                Stage::Sort(_) => StageState::Sort(Vec::new()),
                Stage::Count(_) => StageState::Count(0),
                Stage::Match(_) | Stage::Project(_) | Stage::Unwind(_) => StageState::Stateless,
            })
            .collect();
        Runner {
            stages,
            states,
            mode,
            output: Vec::new(),
            meter: measure.then(|| Meter::new(stages.len())),
        }
    }

    fn into_output(self, labels: &[(String, Value)]) -> (Vec<Document>, Vec<StageStats>) {
        let returned = self.output.len() as u64;
        let stats = self
            .meter
            .map(|meter| meter.finish(labels, returned))
            .unwrap_or_default();
        (self.output, stats)
    }

    /// Counts a record into stage `index` and times the stage's handling
    /// of it, when explaining.
    fn measured(
        &mut self,
        index: usize,
        call: impl FnOnce(&mut Self) -> Result<bool>,
    ) -> Result<bool> {
        let Some(meter) = self.meter.as_mut().filter(|_| index < self.stages.len()) else {
            return call(self);
        };
        meter.count_input(index);
        let entered = meter.enter();
        let result = call(self);
        if let Some(meter) = self.meter.as_mut() {
            meter.leave(index, entered);
        }
        result
    }

    /// Feeds `doc` to stage `index`. Returns false once no further input can
    /// change the result (a `$limit` is satisfied).
    /// [`push`](Self::push) of a lent document: cloned only by a stage
    /// that keeps or changes it.
    fn push_lent(&mut self, index: usize, doc: &Document) -> Result<bool> {
        if self.meter.is_some() {
            return self.measured(index, |runner| runner.push_lent_unmeasured(index, doc));
        }
        self.push_lent_unmeasured(index, doc)
    }

    fn push_lent_unmeasured(&mut self, index: usize, doc: &Document) -> Result<bool> {
        match (self.stages.get(index), &mut self.states.get_mut(index)) {
            (Some(Stage::Match(filter)), _) => {
                if filter.matches_in(doc, self.mode) {
                    self.push_lent(index + 1, doc)
                } else {
                    Ok(true)
                }
            }
            (Some(Stage::Group(group)), Some(StageState::Group(state))) => {
                group.add(state, doc, self.mode);
                Ok(true)
            }
            (Some(Stage::Count(_)), Some(StageState::Count(n))) => {
                *n += 1;
                Ok(true)
            }
            // Counted and timed already: on to the stage's own handling.
            _ => self.push_unmeasured(index, doc.clone()),
        }
    }

    fn push(&mut self, index: usize, doc: Document) -> Result<bool> {
        if self.meter.is_some() {
            return self.measured(index, |runner| runner.push_unmeasured(index, doc));
        }
        self.push_unmeasured(index, doc)
    }

    fn push_unmeasured(&mut self, index: usize, doc: Document) -> Result<bool> {
        let stages = self.stages;
        let Some(stage) = stages.get(index) else {
            self.output.push(doc);
            return Ok(true);
        };
        match (stage, &mut self.states[index]) {
            (Stage::Match(filter), _) => {
                if filter.matches_in(&doc, self.mode) {
                    self.push(index + 1, doc)
                } else {
                    Ok(true)
                }
            }
            (Stage::Project(project), _) => {
                let projected = project.apply(&doc);
                self.push(index + 1, projected)
            }
            (Stage::Skip(n), StageState::Skip { skipped }) => {
                if *skipped < *n {
                    *skipped += 1;
                    Ok(true)
                } else {
                    self.push(index + 1, doc)
                }
            }
            (Stage::Limit(n), StageState::Limit { taken }) => {
                if *taken >= *n {
                    return Ok(false);
                }
                *taken += 1;
                let satisfied = *taken >= *n;
                let more = self.push(index + 1, doc)?;
                Ok(more && !satisfied)
            }
            (Stage::Unwind(unwind), _) => unwind.apply(doc, &mut |out| self.push(index + 1, out)),
            (Stage::Group(group), StageState::Group(state)) => {
                group.add(state, &doc, self.mode);
                Ok(true)
            }
            (Stage::Sort(_), StageState::Sort(buffer)) => {
                buffer.push(doc);
                Ok(true)
            }
            (Stage::Count(_), StageState::Count(n)) => {
                *n += 1;
                Ok(true)
            }
            _ => Err(Error::InvalidPipeline(format!(
                "stage {} lost its running state",
                index + 1
            ))),
        }
    }

    /// Releases what the collecting stages hold, first to last.
    fn finish(&mut self) -> Result<()> {
        let stages = self.stages;
        for (index, stage) in stages.iter().enumerate() {
            let entered = self.meter.as_mut().map(Meter::enter);
            self.release(index, stage)?;
            if let (Some(meter), Some(entered)) = (self.meter.as_mut(), entered) {
                meter.leave(index, entered);
            }
        }
        Ok(())
    }

    /// What collecting stage `index` holds, passed on to the next.
    fn release(&mut self, index: usize, stage: &Stage) -> Result<()> {
        let state = std::mem::replace(&mut self.states[index], StageState::Stateless);
        let released = match (stage, state) {
            (Stage::Group(group), StageState::Group(state)) => group.finish(state),
            (Stage::Sort(sort), StageState::Sort(mut buffer)) => {
                // Stable, so ties keep their input order.
                buffer.sort_by(|a, b| sort.compare_in(a, b, self.mode));
                buffer
            }
            (Stage::Count(name), StageState::Count(n)) if n > 0 => {
                let mut out = Map::new();
                out.insert(name.clone(), Value::from(n));
                vec![out]
            }
            (_, state) => {
                self.states[index] = state;
                return Ok(());
            }
        };
        for doc in released {
            if !self.push(index + 1, doc)? {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::Cell;

    fn docs(values: &[Value]) -> Vec<Document> {
        values
            .iter()
            .map(|v| v.as_object().cloned().unwrap_or_default())
            .collect()
    }

    fn run(pipeline: Value, input: &[Value]) -> Vec<Value> {
        run_mode(pipeline, input, ValueMode::Typed)
    }

    fn run_mode(pipeline: Value, input: &[Value], mode: ValueMode) -> Vec<Value> {
        let parsed = Pipeline::parse(&pipeline).unwrap_or_else(|e| panic!("{pipeline}: {e}"));
        parsed
            .run_in(docs(input).into_iter().map(Ok), mode)
            .unwrap_or_else(|e| panic!("{pipeline}: {e}"))
            .into_iter()
            .map(Value::Object)
            .collect()
    }

    fn products() -> Vec<Value> {
        vec![
            json!({"_id": "1", "category": "fruit", "name": "apple", "price": 3, "qty": 10}),
            json!({"_id": "2", "category": "veg", "name": "leek", "price": 2.5, "qty": 4}),
            json!({"_id": "3", "category": "fruit", "name": "pear", "price": 4, "qty": 1}),
            json!({"_id": "4", "name": "mystery", "price": "n/a"}),
            json!({"_id": "5", "category": "fruit", "name": "fig", "price": 3.0, "qty": 2}),
        ]
    }

    #[test]
    fn seed_group_example_counts_per_category() {
        let out = run(
            json!([{"$group": {"_id": "$category", "count": {"$count": 1}}}]),
            &products(),
        );
        assert_eq!(
            out,
            vec![
                json!({"_id": "fruit", "count": 3}),
                json!({"_id": "veg", "count": 1}),
                json!({"_id": null, "count": 1}),
            ]
        );
        let out = run(
            json!([{"$group": {"_id": "$category", "total": {"$sum": 1}}}]),
            &products(),
        );
        assert_eq!(out[0], json!({"_id": "fruit", "total": 3}));
        let out = run(
            json!([{"$group": {"_id": null, "n": {"$count": {}}}}]),
            &products(),
        );
        assert_eq!(out, vec![json!({"_id": null, "n": 5})]);
    }

    #[test]
    fn accumulators_table() {
        let cases = [
            (json!({"$sum": "$qty"}), json!(13)),
            (json!({"$sum": "$price"}), json!(10.0)),
            (json!({"$sum": "$missing"}), json!(0)),
            (json!({"$avg": "$price"}), json!(10.0 / 3.0)),
            (json!({"$avg": "$missing"}), json!(null)),
            (json!({"$min": "$price"}), json!(3)),
            (json!({"$max": "$price"}), json!(4)),
            (json!({"$max": "$missing"}), json!(null)),
            (json!({"$first": "$name"}), json!("apple")),
            (json!({"$last": "$name"}), json!("fig")),
            (json!({"$push": "$qty"}), json!([10, 1, 2])),
            (json!({"$addToSet": "$price"}), json!([3, 4])),
            (
                json!({"$push": {"n": "$name", "q": "$qty"}}),
                json!([{"n": "apple", "q": 10}, {"n": "pear", "q": 1}, {"n": "fig", "q": 2}]),
            ),
        ];
        for (accumulator, want) in cases {
            let out = run(
                json!([{"$match": {"category": "fruit"}}, {"$group": {"_id": null, "v": accumulator.clone()}}]),
                &products(),
            );
            assert_eq!(out, vec![json!({"_id": null, "v": want})], "{accumulator}");
        }
    }

    #[test]
    fn group_ids_use_mongodb_equality_and_compound_keys() {
        let input = [
            json!({"a": 1, "b": "x"}),
            json!({"a": 1.0, "b": "x"}),
            json!({"a": 2, "b": "x"}),
            json!({"b": "y"}),
        ];
        let out = run(json!([{"$group": {"_id": "$a", "n": {"$sum": 1}}}]), &input);
        assert_eq!(
            out,
            vec![
                json!({"_id": 1, "n": 2}),
                json!({"_id": 2, "n": 1}),
                json!({"_id": null, "n": 1})
            ]
        );
        let out = run(
            json!([{"$group": {"_id": {"a": "$a", "b": "$b"}, "n": {"$sum": 1}}}]),
            &input,
        );
        assert_eq!(
            out,
            vec![
                json!({"_id": {"a": 1, "b": "x"}, "n": 2}),
                json!({"_id": {"a": 2, "b": "x"}, "n": 1}),
                json!({"_id": {"b": "y"}, "n": 1}),
            ]
        );
    }

    #[test]
    fn match_sort_skip_limit_project_count() {
        let out = run(
            json!([
                {"$match": {"price": {"$gte": 3}}},
                {"$sort": {"price": -1, "name": 1}},
                {"$skip": 1},
                {"$limit": 2},
                {"$project": {"name": 1, "_id": 0}}
            ]),
            &products(),
        );
        assert_eq!(out, vec![json!({"name": "apple"}), json!({"name": "fig"})]);
        let out = run(
            json!([{"$match": {"category": "fruit"}}, {"$count": "fruits"}]),
            &products(),
        );
        assert_eq!(out, vec![json!({"fruits": 3})]);
        let out = run(
            json!([{"$match": {"category": "none"}}, {"$count": "n"}]),
            &products(),
        );
        assert_eq!(out, Vec::<Value>::new());
        let out = run(
            json!([{"$group": {"_id": "$category", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 1}]),
            &products(),
        );
        assert_eq!(out, vec![json!({"_id": "fruit", "n": 3})]);
    }

    #[test]
    fn project_computes_fields_and_nests() {
        let input = [json!({"_id": 1, "a": {"b": 2, "c": 3}, "n": "x"})];
        let cases = [
            (json!({"v": "$a.b"}), json!({"_id": 1, "v": 2})),
            (json!({"v": "$a.b", "_id": 0}), json!({"v": 2})),
            (
                json!({"n": 1, "lit": {"$literal": 1}}),
                json!({"_id": 1, "n": "x", "lit": 1}),
            ),
            (json!({"a": {"b": 1}}), json!({"_id": 1, "a": {"b": 2}})),
            (json!({"a": 0}), json!({"_id": 1, "n": "x"})),
            (json!({"out.x": "$n"}), json!({"_id": 1, "out": {"x": "x"}})),
        ];
        for (spec, want) in cases {
            assert_eq!(
                run(json!([{"$project": spec.clone()}]), &input),
                vec![want],
                "{spec}"
            );
        }
    }

    #[test]
    fn unwind_forms() {
        let input = [
            json!({"_id": 1, "t": ["a", "b"]}),
            json!({"_id": 2, "t": []}),
            json!({"_id": 3, "t": null}),
            json!({"_id": 4}),
            json!({"_id": 5, "t": "solo"}),
        ];
        let ids = |out: Vec<Value>| out.iter().map(|d| d["_id"].clone()).collect::<Vec<_>>();
        let out = run(json!([{"$unwind": "$t"}]), &input);
        assert_eq!(out[0], json!({"_id": 1, "t": "a"}));
        assert_eq!(out[1], json!({"_id": 1, "t": "b"}));
        assert_eq!(ids(out), vec![json!(1), json!(1), json!(5)]);
        let out = run(
            json!([{"$unwind": {"path": "$t", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": true}}]),
            &input,
        );
        assert_eq!(
            out,
            vec![
                json!({"_id": 1, "t": "a", "i": 0}),
                json!({"_id": 1, "t": "b", "i": 1}),
                json!({"_id": 2, "i": null}),
                json!({"_id": 3, "t": null, "i": null}),
                json!({"_id": 4, "i": null}),
                json!({"_id": 5, "t": "solo", "i": null}),
            ]
        );
        let out = run(
            json!([{"$unwind": "$items"}, {"$group": {"_id": "$items.k", "n": {"$sum": "$items.n"}}}]),
            &[json!({"items": [{"k": "a", "n": 1}, {"k": "b", "n": 2}, {"k": "a", "n": 3}]})],
        );
        assert_eq!(
            out,
            vec![json!({"_id": "a", "n": 4}), json!({"_id": "b", "n": 2})]
        );
    }

    #[test]
    fn limit_stops_reading_input() {
        let read = Cell::new(0);
        let input = (0..1000).map(|i| {
            read.set(read.get() + 1);
            Ok(json!({"i": i}).as_object().cloned().unwrap_or_default())
        });
        let pipeline = Pipeline::parse(&json!([{"$match": {"i": {"$gte": 10}}}, {"$limit": 3}]))
            .unwrap_or_else(|e| panic!("{e}"));
        let out = pipeline.run(input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.len(), 3);
        assert_eq!(read.get(), 13);
    }

    #[test]
    fn input_errors_stop_the_run() {
        let pipeline = Pipeline::parse(&json!([{"$count": "n"}])).unwrap_or_else(|e| panic!("{e}"));
        let input = vec![Ok(Document::new()), Err(Error::Cancelled)];
        assert!(matches!(
            pipeline.run(input.into_iter()),
            Err(Error::Cancelled)
        ));
    }

    #[test]
    fn input_fields_are_known_when_a_group_ends_the_document_flow() {
        let fields = |p: Value| {
            Pipeline::parse(&p)
                .unwrap_or_else(|e| panic!("{e}"))
                .input_fields()
        };
        assert_eq!(
            fields(
                json!([{"$match": {"a.b": 1}}, {"$group": {"_id": "$c", "n": {"$sum": "$d.e"}}}])
            ),
            Some(vec!["a".to_owned(), "c".to_owned(), "d".to_owned()])
        );
        assert_eq!(
            fields(json!([{"$match": {"a": 1}}, {"$count": "n"}])),
            Some(vec!["a".to_owned()])
        );
        assert_eq!(
            fields(json!([{"$group": {"_id": null, "all": {"$push": "$$ROOT"}}}])),
            None
        );
        assert_eq!(fields(json!([{"$match": {"a": 1}}])), None);
        assert_eq!(fields(json!([{"$unwind": "$a"}, {"$count": "n"}])), None);
    }

    #[test]
    fn leading_match_is_exposed_for_the_planner() {
        let p = Pipeline::parse(&json!([{"$match": {"a": 1}}, {"$limit": 1}]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            p.leading_match()
                .is_some_and(|f| f.index_constraints().len() == 1)
        );
        let p = Pipeline::parse(&json!([{"$limit": 1}, {"$match": {"a": 1}}]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.leading_match().is_none());
    }

    #[test]
    fn legacy_text_mode_matches_sorts_and_sums_numeric_text() {
        let input = [
            json!({"age": "30", "g": "a"}),
            json!({"age": "9", "g": "a"}),
            json!({"age": "x", "g": "b"}),
        ];
        let out = run_mode(
            json!([{"$match": {"age": {"$gt": 5}}}, {"$sort": {"age": 1}}, {"$project": {"age": 1, "_id": 0}}]),
            &input,
            ValueMode::LegacyText,
        );
        assert_eq!(out, vec![json!({"age": "9"}), json!({"age": "30"})]);
        let out = run_mode(
            json!([{"$group": {"_id": "$g", "s": {"$sum": "$age"}}}]),
            &input,
            ValueMode::LegacyText,
        );
        assert_eq!(
            out,
            vec![json!({"_id": "a", "s": 39}), json!({"_id": "b", "s": 0})]
        );
    }

    #[test]
    fn errors_name_the_stage() {
        let cases: &[(Value, &[&str])] = &[
            (json!({"$match": {}}), &["array"]),
            (json!([{"$lookup": {}}]), &["stage 1", "$lookup"]),
            (
                json!([{"$match": {}}, {"$match": {"a": {"$bad": 1}}}]),
                &["stage 2 ($match)", "$bad"],
            ),
            (
                json!([{"$group": {"n": {"$sum": 1}}}]),
                &["stage 1 ($group)", "_id"],
            ),
            (
                json!([{"$group": {"_id": null, "n": {"$median": 1}}}]),
                &["$group", "$median"],
            ),
            (
                json!([{"$group": {"_id": null, "n": {"$count": "$x"}}}]),
                &["$count"],
            ),
            (json!([{"$group": {"_id": null, "n": 1}}]), &["\"n\""]),
            (
                json!([{"$group": {"_id": {"$toUpper": "$a"}}}]),
                &["$toUpper"],
            ),
            (json!([{"$limit": 0}]), &["$limit"]),
            (json!([{"$limit": -1}]), &["$limit"]),
            (json!([{"$skip": "x"}]), &["$skip"]),
            (json!([{"$sort": {}}]), &["$sort"]),
            (json!([{"$sort": {"a": 0}}]), &["$sort", "\"a\""]),
            (json!([{"$count": ""}]), &["$count"]),
            (json!([{"$count": "$n"}]), &["$count"]),
            (json!([{"$unwind": "t"}]), &["$unwind"]),
            (json!([{"$unwind": {"path": "$t", "bogus": 1}}]), &["bogus"]),
            (json!([{"$project": {"a": 1, "b": 0}}]), &["$project"]),
            (json!([{"$project": {"a": 0, "c": "$x"}}]), &["$project"]),
            (json!([{"$project": {}}]), &["$project"]),
            (
                json!([{"$match": {}, "$limit": 1}]),
                &["stage 1", "exactly one"],
            ),
            (json!([5]), &["stage 1"]),
        ];
        for (pipeline, needles) in cases {
            match Pipeline::parse(pipeline) {
                Err(Error::InvalidPipeline(message)) => {
                    for needle in *needles {
                        assert!(
                            message.contains(needle),
                            "{pipeline}: {message:?} lacks {needle:?}"
                        );
                    }
                }
                other => panic!("{pipeline}: expected InvalidPipeline, got {other:?}"),
            }
        }
    }
}
