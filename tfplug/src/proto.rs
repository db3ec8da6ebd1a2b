//! Generated protocol types (from `proto/`), and conversions from tfplug's own types.
#![allow(clippy::all, missing_docs)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

pub mod plugin {
    tonic::include_proto!("plugin");
}

use crate::diagnostics::{Diagnostics, Severity};
use crate::path::{AttributePath, Step};
use crate::provider::{Function, Parameter};
use crate::schema::{Mode, Nesting, Schema};
use tfplugin6 as pb;

pub fn path(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attribute(a) => Selector::AttributeName(a.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn diagnostics(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.0.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.path.as_ref().map(path),
        })
        .collect()
}

fn block(s: &Schema) -> pb::schema::Block {
    pb::schema::Block {
        version: s.version,
        attributes: s
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                nested_type: None,
                description: a.description.clone(),
                required: a.mode == Mode::Required,
                optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
                computed: a.is_computed(),
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                write_only: false,
            })
            .collect(),
        block_types: s
            .blocks
            .iter()
            .map(|b| pb::schema::NestedBlock {
                type_name: b.name.clone(),
                block: Some(block(&b.schema)),
                nesting: match b.nesting {
                    Nesting::List => pb::schema::nested_block::NestingMode::List,
                    Nesting::Set => pb::schema::nested_block::NestingMode::Set,
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single,
                } as i32,
                min_items: b.min_items,
                max_items: b.max_items,
            })
            .collect(),
        description: s.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema {
        version: s.version,
        block: Some(block(s)),
    }
}

fn parameter(p: &Parameter) -> pb::function::Parameter {
    pb::function::Parameter {
        name: p.name.clone(),
        r#type: p.ty.to_json_bytes(),
        allow_null_value: p.allow_null,
        allow_unknown_values: p.allow_unknown,
        description: p.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
    }
}

pub fn function(f: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: f.parameters().iter().map(parameter).collect(),
        variadic_parameter: f.variadic().as_ref().map(parameter),
        r#return: Some(pb::function::Return {
            r#type: f.return_type().to_json_bytes(),
        }),
        summary: f.summary().to_string(),
        description: f.description().to_string(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}
