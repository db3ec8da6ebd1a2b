//! `ipam_ipams` data source (AWS's `aws_vpc_ipams`; Terraform reserves the plain name for a
//! provider called `ipams`): every IPAM matching `ipam_ids` and `filter` blocks.

use super::attrs::strings;
use super::aws::region_data_argument;
use super::context::Context;
use super::data_ipam::{ipam_attributes, ipam_field, ipam_object, IPAM_FILTERS};
use super::errors::{Doing, Failure, WHOLE};
use super::filter::{check_names, filter_block, filters, matches};
use super::ipam::counted;
use super::lookup::Lookup;
use tfplug::{Attribute, Diagnostics, Schema, Type, Value};

pub struct Ipams;

impl Lookup for Ipams {
    const TYPE_NAME: &'static str = "ipam_ipams";

    fn schema(&self) -> Schema {
        let item =
            ipam_attributes(Schema::new().attribute(Attribute::computed("id", Type::String)));
        Schema::new()
            .description("Lists IPAMs by id and filters, as the AWS provider's `aws_vpc_ipams` data source.")
            .attribute(Attribute::optional("ipam_ids", Type::list(Type::String)).description("Only these IPAMs."))
            .attribute(Attribute::computed("ipams", Type::list(item.value_type())).description("The matching IPAMs, by id, each with the attributes of the `ipam` data source."))
            .block(filter_block(&IPAM_FILTERS))
.attribute(region_data_argument())
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        check_names(config, &IPAM_FILTERS, diags);
    }

    fn read(
        &self,
        ctx: &Context,
        config: &Value,
        _diags: &mut Diagnostics,
    ) -> Result<Value, Failure> {
        let all = ctx.store.list_ipams().doing("Cannot list IPAMs", &WHOLE)?;
        let ids = config
            .get("ipam_ids")
            .filter(|v| !v.is_null())
            .map(|_| strings(config, "ipam_ids"));
        let fs = filters(config);
        let found = all
            .into_iter()
            .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
            .filter(|i| matches(&fs, |n| ipam_field(i, n)))
            .map(|i| counted(&ctx.store, i).map(|r| ipam_object(&r)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut v = config.clone();
        v.set_attr("ipams", Value::list(found));
        Ok(v)
    }
}
