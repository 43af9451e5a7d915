//! An update of one item built piece by piece: `SET`, `REMOVE` and `ADD` clauses and the
//! condition, every attribute name and value by placeholder (so reserved words and map keys
//! such as a variant's id need no care), for writes that several rules add to, as a product
//! edit that also moves stock.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::db::{Table, number};
use crate::error::ApiError;

#[derive(Debug, Default, Clone)]
pub struct Expression {
    sets: Vec<String>,
    removes: Vec<String>,
    adds: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder of the document path `segments` (`["variants", id, "stock"]`).
    pub fn path(&mut self, segments: &[&str]) -> String {
        segments
            .iter()
            .map(|segment| {
                let placeholder = format!("#{}", self.names.len());
                match self
                    .names
                    .iter()
                    .find(|(_, name)| name.as_str() == *segment)
                {
                    Some((existing, _)) => existing.clone(),
                    None => {
                        self.names
                            .insert(placeholder.clone(), (*segment).to_owned());
                        placeholder
                    }
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The placeholder of a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `SET path = value`.
    pub fn set(&mut self, segments: &[&str], value: AttributeValue) -> &mut Self {
        let path = self.path(segments);
        let value = self.value(value);
        self.sets.push(format!("{path} = {value}"));
        self
    }

    /// `SET path = path + delta`.
    pub fn increase(&mut self, segments: &[&str], delta: i64) -> &mut Self {
        let path = self.path(segments);
        let value = self.value(number(delta));
        self.sets.push(format!("{path} = {path} + {value}"));
        self
    }

    /// `REMOVE path`.
    pub fn remove(&mut self, segments: &[&str]) -> &mut Self {
        let path = self.path(segments);
        self.removes.push(path);
        self
    }

    /// `ADD path delta` (a number that need not exist yet).
    pub fn add(&mut self, segments: &[&str], delta: i64) -> &mut Self {
        let path = self.path(segments);
        let value = self.value(number(delta));
        self.adds.push(format!("{path} {value}"));
        self
    }

    /// `path = value` must hold.
    pub fn require_eq(&mut self, segments: &[&str], value: AttributeValue) -> &mut Self {
        let path = self.path(segments);
        let value = self.value(value);
        self.conditions.push(format!("{path} = {value}"));
        self
    }

    /// A condition written with the placeholders this expression handed out.
    pub fn require(&mut self, condition: impl Into<String>) -> &mut Self {
        self.conditions.push(condition.into());
        self
    }

    /// `path` must exist.
    pub fn require_exists(&mut self, segments: &[&str]) -> &mut Self {
        let path = self.path(segments);
        self.conditions.push(format!("attribute_exists({path})"));
        self
    }

    /// Whether anything is written.
    pub fn writes(&self) -> bool {
        !(self.sets.is_empty() && self.removes.is_empty() && self.adds.is_empty())
    }

    fn update_expression(&self) -> String {
        let mut clauses = Vec::new();
        if !self.sets.is_empty() {
            clauses.push(format!("SET {}", self.sets.join(", ")));
        }
        if !self.removes.is_empty() {
            clauses.push(format!("REMOVE {}", self.removes.join(", ")));
        }
        if !self.adds.is_empty() {
            clauses.push(format!("ADD {}", self.adds.join(", ")));
        }
        clauses.join(" ")
    }

    /// The transaction's update of the item `pk`/`sk`; a failed condition returns the item as
    /// it was.
    pub fn update_of(
        self,
        table: &Table,
        pk: &str,
        sk: &str,
    ) -> Result<TransactWriteItem, ApiError> {
        let update: Update = table
            .update_of(pk, sk)
            .update_expression(self.update_expression())
            .set_condition_expression(
                (!self.conditions.is_empty()).then(|| self.conditions.join(" AND ")),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .set_expression_attribute_names((!self.names.is_empty()).then_some(self.names))
            .set_expression_attribute_values((!self.values.is_empty()).then_some(self.values))
            .build()
            .map_err(ApiError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_placeholders_shared_by_every_use() {
        let mut e = Expression::new();
        e.set(&["variants", "01J", "stock"], number(4));
        e.increase(&["variants", "01J", "movements"], 1);
        e.require_eq(&["variants", "01J", "movements"], number(7));
        e.remove(&["stock"]);
        e.add(&["version"], 1);
        assert_eq!(
            e.update_expression(),
            "SET #0.#1.#2 = :0, #0.#1.#3 = #0.#1.#3 + :1 REMOVE #2 ADD #4 :3"
        );
        assert_eq!(e.conditions, ["#0.#1.#3 = :2"]);
        assert_eq!(e.names.len(), 5);
    }
}
