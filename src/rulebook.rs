//! The compiled routing table, cached per instance. Every use reads the one-row routing state
//! version (a primary-key lookup); when another instance changed the rules, the version moved
//! and the table is recompiled — no restart, no stale routing beyond the transaction in flight.

use std::sync::{Arc, RwLock};

use diesel::PgConnection;

use crate::db::models::RoutingRuleRow;
use crate::db::routing as store;
use crate::domain::routing::{CompiledRules, Rule};
use crate::error::AppError;

#[derive(Default)]
pub struct RuleBook {
    cached: RwLock<Option<(i64, Arc<CompiledRules>)>>,
}

impl RuleBook {
    /// The compiled table as of the database's current routing version.
    pub fn current(&self, conn: &mut PgConnection) -> Result<Arc<CompiledRules>, AppError> {
        let version = store::state_version(conn)?;
        if let Ok(guard) = self.cached.read()
            && let Some((cached_version, compiled)) = guard.as_ref()
            && *cached_version == version
        {
            return Ok(compiled.clone());
        }
        let compiled = Arc::new(compile(conn, None)?);
        if let Ok(mut guard) = self.cached.write() {
            *guard = Some((version, compiled.clone()));
        }
        tracing::info!(version, rules = compiled.len(), "routing table compiled");
        Ok(compiled)
    }
}

/// Compiles the current rules, optionally with one more (a draft under test).
pub fn compile(conn: &mut PgConnection, extra: Option<Rule>) -> Result<CompiledRules, AppError> {
    let rows = store::current_rules(conn)?;
    let mut rules: Vec<Rule> = rows.iter().filter_map(rule_of).collect();
    rules.extend(extra);
    let directory = store::directory(conn)?;
    Ok(CompiledRules::compile(rules, &directory))
}

/// Compiles the current rules with a draft under test in place of rule `replacing` (or beside
/// them all when it is a new rule).
pub fn compile_draft(
    conn: &mut PgConnection,
    draft: Rule,
    replacing: Option<i64>,
) -> Result<CompiledRules, AppError> {
    let rows = store::current_rules(conn)?;
    let mut rules: Vec<Rule> = rows
        .iter()
        .filter(|r| Some(r.id) != replacing)
        .filter_map(rule_of)
        .collect();
    rules.push(draft);
    let directory = store::directory(conn)?;
    Ok(CompiledRules::compile(rules, &directory))
}

/// A stored rule as the matcher sees it; a row that no longer parses is skipped (and logged).
pub fn rule_of(row: &RoutingRuleRow) -> Option<Rule> {
    let conditions = serde_json::from_value(row.conditions.clone());
    let action = serde_json::from_value(row.action.clone());
    match (conditions, action) {
        (Ok(conditions), Ok(action)) => Some(Rule {
            id: row.id,
            version: row.version,
            name: row.name.clone(),
            priority: row.priority,
            enabled: row.enabled,
            continue_matching: row.continue_matching,
            conditions,
            action,
        }),
        (c, a) => {
            tracing::error!(rule = row.id, version = row.version, conditions = ?c.err(), action = ?a.err(), "stored routing rule does not parse; skipped");
            None
        }
    }
}
