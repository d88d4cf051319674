//! The rules of ARCHITECTURE.md that a program can check: no module uses a
//! module that uses it, no file so long a reader loses the thread, and
//! nothing in the repository points outside it.
//!
//! The module graph is read from the source text (use trees, `crate::`,
//! `super::` and child-module paths, re-exports followed to the file that
//! defines the name), so it needs no compiler support; comments and
//! `#[cfg(test)]` items are left out, since tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The longest production part (the lines before `#[cfg(test)] mod tests`)
/// a source file may have.
const MAX_PRODUCTION_LINES: usize = 800;

type ModulePath = Vec<String>;

/// One source file: the module it is, and its production text.
struct SourceFile {
    path: PathBuf,
    module: ModulePath,
    /// Comments and `#[cfg(test)]` items removed.
    code: String,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// `src/engine/find/plan.rs` → `engine::find::plan`; `mod.rs` and `lib.rs`
/// name their folder. Binaries are crates of their own: `None`.
fn module_of(relative: &Path) -> Option<ModulePath> {
    let parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|first| first == "bin") {
        return None;
    }
    let mut module: ModulePath = parts;
    let file = module.pop()?;
    match file.as_str() {
        "mod.rs" | "lib.rs" => {}
        other => module.push(other.trim_end_matches(".rs").to_owned()),
    }
    Some(module)
}

/// The text without comments (line and block; strings are kept, so a
/// `//` inside a string literal is not taken for a comment).
fn without_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let rest = &text[i..];
        if in_string {
            if rest.starts_with("\\\\") || rest.starts_with("\\\"") {
                out.push_str(&rest[..2]);
                i += 2;
                continue;
            }
            if rest.starts_with('"') {
                in_string = false;
            }
        } else if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            i += end;
            continue;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(rest.len(), |at| at + 2);
            i += end;
            continue;
        } else if rest.starts_with('"') && !text[..i].ends_with('\'') {
            in_string = true;
        }
        let c = rest.chars().next().expect("i is inside the text");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The text without the items marked `#[cfg(test)]` (a `mod tests { … }`,
/// a test-only helper): each is cut from the attribute to the end of its
/// braces, or of its line when it ends with `;`.
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        let semicolon = item.find(';');
        let brace = item.find('{');
        let end = match (brace, semicolon) {
            (Some(open), Some(semi)) if semi < open => semi + 1,
            (Some(open), _) => matching_brace(item, open).map_or(item.len(), |close| close + 1),
            (None, Some(semi)) => semi + 1,
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + at);
                }
            }
            _ => {}
        }
    }
    None
}

fn source_files() -> Vec<SourceFile> {
    let src = repo_root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut files: Vec<SourceFile> = paths
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).expect("under src").to_owned();
            let module = module_of(&relative)?;
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            Some(SourceFile {
                path: relative,
                module,
                code: without_comments(&text),
            })
        })
        .collect();
    // Files of modules declared `#[cfg(test)] mod name;` are test code too.
    let mut test_only = Vec::new();
    for file in &files {
        for name in test_only_children(&file.code) {
            let mut module = file.module.clone();
            module.push(name);
            test_only.push(module);
        }
    }
    files.retain(|file| !test_only.iter().any(|t| file.module.starts_with(t)));
    for file in &mut files {
        file.code = without_test_items(&file.code);
    }
    files
}

/// The names in `#[cfg(test)] mod name;` declarations.
fn test_only_children(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("#[cfg(test)]") {
        let item = code[at + "#[cfg(test)]".len()..].trim_start();
        let item = item
            .strip_prefix("pub(crate) ")
            .or_else(|| item.strip_prefix("pub "))
            .unwrap_or(item);
        if let Some(rest) = item.strip_prefix("mod ")
            && let Some(end) = rest.find(';')
            && !rest[..end].contains('{')
        {
            names.push(rest[..end].trim().to_owned());
        }
    }
    names
}

/// Expands one use tree (`a::{b, c::{d, e as f}, g::*}`) into its paths,
/// each with the name it binds (`None` for a glob).
fn expand_use_tree(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    // One space between words, none around the punctuation.
    let mut tree = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    for mark in ["::", "{", "}", ","] {
        tree = tree
            .replace(&format!(" {mark}"), mark)
            .replace(&format!("{mark} "), mark);
    }
    let mut out = Vec::new();
    expand_into(&tree, Vec::new(), &mut out);
    out
}

fn expand_into(tree: &str, prefix: Vec<String>, out: &mut Vec<(Vec<String>, Option<String>)>) {
    let tree = tree.trim_start_matches("::");
    if let Some(open) = tree.find('{') {
        let close = matching_brace(tree, open).unwrap_or(tree.len() - 1);
        let mut base = prefix;
        base.extend(segments_of(&tree[..open]));
        for part in split_top_level(&tree[open + 1..close]) {
            expand_into(part, base.clone(), out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path, Some(alias.to_owned())),
        None => (tree, None),
    };
    let mut segments = prefix;
    segments.extend(segments_of(path));
    let binds = match segments.last().map(String::as_str) {
        Some("*") => {
            segments.pop();
            None
        }
        Some("self") => {
            segments.pop();
            alias.or_else(|| segments.last().cloned())
        }
        Some(name) => alias.or_else(|| Some(name.to_owned())),
        None => None,
    };
    out.push((segments, binds));
}

fn segments_of(path: &str) -> Vec<String> {
    path.split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&list[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

/// The `use` statements of a file: (is it a `pub…` re-export, its tree).
fn use_statements(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_keyword(rest, "use ") {
        let before = rest[..at].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let statement = &rest[at + 4..];
        let end = statement.find(';').unwrap_or(statement.len());
        out.push((public, statement[..end].to_owned()));
        rest = &statement[end..];
    }
    out
}

/// Where `keyword` starts a word at the start of a statement (after a
/// newline, `;`, `{`, `}` or a visibility).
fn find_keyword(text: &str, keyword: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(keyword) {
        let at = from + found;
        let before = text[..at].trim_end_matches([' ', '\t']);
        let starts_statement = before.is_empty()
            || before.ends_with(['\n', ';', '{', '}'])
            || before.ends_with("pub")
            || before.ends_with(')')
                && before
                    .rsplit('\n')
                    .next()
                    .is_some_and(|line| line.contains("pub("));
        if starts_statement {
            return Some(at);
        }
        from = at + keyword.len();
    }
    None
}

/// Every module of the crate, with the files' children and re-exports.
struct Crate {
    modules: BTreeSet<ModulePath>,
    /// For each module: name → the absolute path it re-exports.
    reexports: HashMap<ModulePath, HashMap<String, Vec<String>>>,
    /// For each module: the sources of its glob re-exports.
    glob_reexports: HashMap<ModulePath, Vec<Vec<String>>>,
}

/// The external crates and prelude roots a path may start with.
fn is_external_root(segment: &str) -> bool {
    !segment.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        || matches!(
            segment,
            "std" | "core" | "alloc" | "serde" | "serde_json" | "uuid" | "sysinfo" | "thiserror"
        )
}

impl Crate {
    fn new(files: &[SourceFile]) -> Crate {
        let modules: BTreeSet<ModulePath> = files.iter().map(|f| f.module.clone()).collect();
        let mut krate = Crate {
            modules,
            reexports: HashMap::new(),
            glob_reexports: HashMap::new(),
        };
        for file in files {
            for (public, tree) in use_statements(&file.code) {
                if !public {
                    continue;
                }
                for (path, binds) in expand_use_tree(&tree) {
                    let Some(absolute) = krate.absolute(&file.module, &path) else {
                        continue;
                    };
                    match binds {
                        Some(name) => {
                            krate
                                .reexports
                                .entry(file.module.clone())
                                .or_default()
                                .insert(name, absolute);
                        }
                        None => krate
                            .glob_reexports
                            .entry(file.module.clone())
                            .or_default()
                            .push(absolute),
                    }
                }
            }
        }
        krate
    }

    /// A path as written in `module` made absolute, or `None` for paths
    /// into other crates.
    fn absolute(&self, module: &ModulePath, path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => {
                let mut base = module.clone();
                let mut supers = 0;
                while path.get(supers).is_some_and(|s| s == "super") {
                    base.pop();
                    supers += 1;
                }
                base.extend(path[supers..].iter().cloned());
                return Some(base);
            }
            child => {
                let mut candidate = module.clone();
                candidate.push(child.to_owned());
                if self.modules.contains(&candidate) {
                    module.clone()
                } else {
                    return None;
                }
            }
        };
        let skip = usize::from(matches!(first.as_str(), "crate" | "self"));
        base.extend(path[skip..].iter().cloned());
        Some(base)
    }

    /// The module that defines what an absolute path names, following
    /// re-exports; `None` if it names nothing of this crate's.
    fn defining_module(&self, path: &[String], depth: usize) -> Option<ModulePath> {
        let mut split = path.len();
        while split > 0 && !self.modules.contains(&path[..split]) {
            split -= 1;
        }
        let module = path[..split].to_vec();
        let Some(name) = path.get(split) else {
            return Some(module);
        };
        if depth > 16 {
            return Some(module);
        }
        if let Some(target) = self
            .reexports
            .get(&module)
            .and_then(|names| names.get(name))
        {
            let mut target = target.clone();
            target.extend(path[split + 1..].iter().cloned());
            return self.defining_module(&target, depth + 1);
        }
        if let Some(globs) = self.glob_reexports.get(&module)
            && let [single] = globs.as_slice()
        {
            let mut target = single.clone();
            target.extend(path[split..].iter().cloned());
            return self.defining_module(&target, depth + 1);
        }
        Some(module)
    }

    /// The modules a file uses, each with one path that shows it.
    fn uses(&self, file: &SourceFile) -> BTreeMap<ModulePath, String> {
        let mut found = BTreeMap::new();
        let mut note = |path: Vec<String>| {
            if let Some(target) = self.defining_module(&path, 0)
                && target != file.module
            {
                found.entry(target).or_insert_with(|| path.join("::"));
            }
        };
        for (_, tree) in use_statements(&file.code) {
            for (path, _) in expand_use_tree(&tree) {
                if let Some(absolute) = self.absolute(&file.module, &path) {
                    note(absolute);
                }
            }
        }
        // Paths written in the code: `crate::a::b`, `super::x`, `child::y`.
        let code = &file.code;
        let bytes = code.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let c = bytes[at];
            let word_start = (c.is_ascii_lowercase() || c == b'_')
                && (at == 0
                    || !(bytes[at - 1].is_ascii_alphanumeric()
                        || bytes[at - 1] == b'_'
                        || bytes[at - 1] == b':'));
            if !word_start {
                at += 1;
                continue;
            }
            let mut end = at;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
            {
                end += 1;
            }
            // `a::b::{…}` and `a::b::*` are use trees, expanded above.
            let written = &code[at..end];
            if written.ends_with("::") {
                at = end;
                continue;
            }
            let segments: Vec<String> = written
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if segments.len() > 1
                && !is_external_root(&segments[0])
                && let Some(absolute) = self.absolute(&file.module, &segments)
            {
                note(absolute);
            }
            at = end.max(at + 1);
        }
        found
    }
}

fn is_ancestor(ancestor: &[String], of: &[String]) -> bool {
    ancestor.len() < of.len() && of.starts_with(ancestor)
}

/// Tarjan's strongly connected components of one parent's children.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a str) {
        let next = walk.index.len();
        walk.index.insert(node, next);
        walk.low.insert(node, next);
        walk.stack.push(node);
        walk.on_stack.insert(node);
        if let Some(targets) = walk.graph.get(node) {
            for target in targets {
                let target = target.as_str();
                if !walk.index.contains_key(target) {
                    visit(walk, target);
                    let low = walk.low[node].min(walk.low[target]);
                    walk.low.insert(node, low);
                } else if walk.on_stack.contains(target) {
                    let low = walk.low[node].min(walk.index[target]);
                    walk.low.insert(node, low);
                }
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(top) = walk.stack.pop() {
                walk.on_stack.remove(top);
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                walk.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.components
}

#[test]
fn no_module_uses_a_module_that_uses_it() {
    let files = source_files();
    let krate = Crate::new(&files);
    let mut problems = Vec::new();
    // parent module → child → children it uses (with a path that shows it).
    let mut sibling_uses: BTreeMap<ModulePath, BTreeMap<String, BTreeSet<String>>> =
        BTreeMap::new();
    let mut evidence: HashMap<(ModulePath, String, String), String> = HashMap::new();
    for file in &files {
        for (target, shown_by) in krate.uses(file) {
            if is_ancestor(&file.module, &target) {
                continue; // a module uses its own children
            }
            if is_ancestor(&target, &file.module) {
                problems.push(format!(
                    "{} uses `{shown_by}`, defined in its ancestor `{}`: move it down into a file of its own",
                    file.path.display(),
                    display(&target)
                ));
                continue;
            }
            let common = file
                .module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            let parent = file.module[..common].to_vec();
            let from = file.module[common].clone();
            let to = target[common].clone();
            sibling_uses
                .entry(parent.clone())
                .or_default()
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
            evidence
                .entry((parent, from, to))
                .or_insert_with(|| format!("{} uses `{shown_by}`", file.path.display()));
        }
    }
    for (parent, graph) in &sibling_uses {
        for component in cycles(graph) {
            let mut lines = vec![format!(
                "in `{}`, these modules use each other: {}",
                display(parent),
                component.join(", ")
            )];
            for from in &component {
                for to in &component {
                    if let Some(shown) = evidence.get(&(parent.clone(), from.clone(), to.clone())) {
                        lines.push(format!("    {from} → {to}: {shown}"));
                    }
                }
            }
            problems.push(lines.join("\n"));
        }
    }
    assert!(
        problems.is_empty(),
        "module loops:\n{}",
        problems.join("\n")
    );
}

/// Layers that must not use others (ARCHITECTURE.md, "The rules between
/// them"): `(module, modules it must not use, why)`.
const FORBIDDEN_USES: &[(&str, &[&str], &str)] = &[
    ("engine", &["cli", "studio"], "the engine knows no app"),
    (
        "interchange",
        &["cli", "studio"],
        "interchange knows no app",
    ),
    (
        "engine::storage",
        &[
            "engine::query",
            "engine::index",
            "engine::collection",
            "engine::find",
            "engine::aggregate",
            "engine::database",
            "engine::legacy",
        ],
        "storage sits below everything that reads records",
    ),
    (
        "engine::query",
        &[
            "engine::storage",
            "engine::collection",
            "engine::database",
            "engine::find",
            "engine::index",
        ],
        "the query language is pure logic over values",
    ),
    ("cli", &["studio"], "the CLI does not need the app"),
];

#[test]
fn layers_use_only_what_sits_below_them() {
    let files = source_files();
    let krate = Crate::new(&files);
    let mut problems = Vec::new();
    for file in &files {
        let here = display(&file.module);
        for (layer, forbidden, why) in FORBIDDEN_USES {
            if here != *layer && !here.starts_with(&format!("{layer}::")) {
                continue;
            }
            for (target, shown_by) in krate.uses(file) {
                let target = display(&target);
                if let Some(bad) = forbidden
                    .iter()
                    .find(|bad| target == **bad || target.starts_with(&format!("{bad}::")))
                {
                    problems.push(format!(
                        "{} uses `{shown_by}` ({bad}): {why}",
                        file.path.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn display(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

#[test]
fn no_production_part_of_a_file_is_longer_than_800_lines() {
    let src = repo_root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut long = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read a source file");
        let production = text
            .lines()
            .take_while(|line| !line.starts_with("#[cfg(test)]"))
            .count();
        if production > MAX_PRODUCTION_LINES {
            long.push(format!(
                "{}: {production} lines before its tests",
                path.strip_prefix(&src).expect("under src").display()
            ));
        }
    }
    assert!(
        long.is_empty(),
        "split these along their seams (at most {MAX_PRODUCTION_LINES} lines):\n{}",
        long.join("\n")
    );
}

#[test]
fn nothing_in_the_repository_names_a_path_outside_it() {
    // Spelled in pieces, so this file does not find itself.
    let outside = [
        format!("../{}/", "shared"),
        format!("{}/spec/", "shared"),
        format!("{}/fixtures/", "shared"),
        format!("{}/design/", "shared"),
    ];
    let mut found = Vec::new();
    let root = repo_root();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a repository folder") {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if matches!(
                name.as_deref(),
                Some(".git" | "target" | "corpus" | "artifacts")
            ) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Binary files (fixtures, images) cannot name a path a reader follows.
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (number, line) in text.lines().enumerate() {
                if outside
                    .iter()
                    .any(|pattern| line.contains(pattern.as_str()))
                {
                    found.push(format!(
                        "{}:{}: {}",
                        path.strip_prefix(&root).expect("under the root").display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a clone has nothing beside it; copy what these need into the repository:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_sees_a_loop_and_a_use_of_a_parent() {
    // The checker itself, on a small made-up crate: if it stopped seeing
    // edges, the test above would pass on anything.
    let file = |path: &str, code: &str| SourceFile {
        path: PathBuf::from(path),
        module: module_of(Path::new(path)).expect("a library file"),
        code: without_test_items(&without_comments(code)),
    };
    let files = [
        file("lib.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n"),
        file(
            "a/mod.rs",
            "mod inner;\nmod other;\npub use inner::Thing;\npub struct Top;\n",
        ),
        file(
            "a/inner.rs",
            "use super::Top; // a child using its parent\npub struct Thing;\n",
        ),
        file(
            "b.rs",
            "use crate::{Thing, a::{self}};\n#[cfg(test)]\nmod tests { use crate::c::X; }\n",
        ),
        file("c.rs", "pub fn f() { crate::b::g(); }\n"),
        file("a/other.rs", "use crate::a::{inner::Thing};\n"),
    ];
    let krate = Crate::new(&files);
    let uses: Vec<_> = files.iter().map(|f| krate.uses(f)).collect();
    let keys = |i: usize| uses[i].keys().map(|m| display(m)).collect::<Vec<_>>();
    assert_eq!(keys(0), vec!["a::inner"]);
    assert_eq!(keys(2), vec!["a"], "inner uses its parent's Top");
    assert_eq!(
        keys(3),
        vec!["a", "a::inner"],
        "the re-export leads to inner; test code is left out"
    );
    assert_eq!(keys(4), vec!["b"]);
    assert_eq!(
        keys(5),
        vec!["a::inner"],
        "a use tree's head is not a use of `a`"
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("x".to_owned(), BTreeSet::from(["y".to_owned()])),
        (
            "y".to_owned(),
            BTreeSet::from(["x".to_owned(), "z".to_owned()]),
        ),
        ("z".to_owned(), BTreeSet::new()),
    ]
    .into();
    assert_eq!(cycles(&graph), vec![vec!["x".to_owned(), "y".to_owned()]]);
    assert_eq!(
        expand_use_tree("crate::x::{a, b::{c, d as e}, f::*}"),
        vec![
            (
                vec!["crate".into(), "x".into(), "a".into()],
                Some("a".into())
            ),
            (
                vec!["crate".into(), "x".into(), "b".into(), "c".into()],
                Some("c".into())
            ),
            (
                vec!["crate".into(), "x".into(), "b".into(), "d".into()],
                Some("e".into())
            ),
            (vec!["crate".into(), "x".into(), "f".into()], None),
        ]
    );
}
