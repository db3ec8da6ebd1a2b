//! `ipam_resource_discovery`: where to look for networks built outside the IPAM (Terraform
//! state files, `aws ec2 describe-vpcs`/`describe-subnets` output) and what to leave alone.

use super::attrs::{description, opt_string, string, strings, tag_map, tags, tags_value, REGION};
use super::aws::{
    block_regions, check_region, operating_regions_block, region_argument, regions_value,
    tags_all_attribute,
};
use super::crud::Guard;
use super::crud::{Call, Crud};
use super::errors::{Doing, Failure, WHOLE};
use crate::discovery::{read_sources, Source};
use crate::store::{Discovery as Record, DiscoverySpec};
use tfplug::{Attribute, Block, Check, Diagnostics, Plan, Schema, Type, Value};

pub struct ResourceDiscovery;

const SOURCE_DOC: &str = "A file or glob (`*`, `?`, `**`) of Terraform state (a `terraform.tfstate` of version 4, or `terraform show -json` output) or of `aws ec2 describe-vpcs` / `describe-subnets` JSON. Relative paths start at the directory Terraform runs in. The state's `aws_vpc`, `aws_vpc_ipv4_cidr_block_association`, `aws_subnet`, `google_compute_subnetwork`, `azurerm_virtual_network`, `azurerm_subnet` and `ipam_vpc_allocation` resources are read.";

/// The `source` blocks of a configuration or plan.
pub fn sources(v: &Value) -> Vec<Source> {
    v.get("source")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(|s| Source {
            path: string(s, "path").unwrap_or_default(),
            region: string(s, "region"),
            account_id: string(s, "account_id"),
        })
        .collect()
}

fn spec(planned: &Value) -> DiscoverySpec {
    DiscoverySpec {
        description: string(planned, "description"),
        operating_regions: block_regions(planned),
        tags: tags(planned, "tags"),
        excluded_resource_ids: strings(planned, "excluded_resource_ids"),
        sources: sources(planned),
        base_dir: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
    }
}

impl Crud for ResourceDiscovery {
    type Record = Record;
    const TYPE_NAME: &'static str = "ipam_resource_discovery";
    const GUARD: Guard = Guard::IpamAdmin;
    const KEPT_ON_UPDATE: &'static [&'static str] = &["last_scanned"];

    fn schema(&self) -> Schema {
        Schema::new()
            .description("A resource discovery: the sources (Terraform state files, AWS CLI output) in which networks built outside the IPAM are found. Associate it with an IPAM (`ipam_resource_discovery_association`) and read what it finds with the `ipam_discovered_resource_cidrs` data source or `terraform-provider-ipam discover`.")
            .attribute(Attribute::computed("id", Type::String).use_state_for_unknown().description("The discovery id, `ipam-res-disc-` and 17 hex digits."))
            .attribute(description("resource discovery"))
            .attribute(tag_map("tags", "Tags of the resource discovery."))
            .attribute(Attribute::optional("excluded_resource_ids", Type::set(Type::String)).check(Check::Length { min: 1, max: 1024 }).description("Resource ids (VPCs, subnets) whose CIDRs are reported as `ignored`: neither compliant nor not, never overlapping, never adopted."))
            .attribute(Attribute::computed("arn", Type::String).use_state_for_unknown().description("`arn:aws:ec2::<owner>:ipam-resource-discovery/<id>`."))
            .attribute(Attribute::computed("owner_id", Type::String).use_state_for_unknown().description("The account that created the discovery."))
            .attribute(Attribute::computed("last_scanned", Type::String).use_state_for_unknown().description("When the sources were last scanned (RFC 3339, UTC), or null before the first scan. Sources are scanned when discovered CIDRs are read (the data source, the CLI)."))
            .attribute(Attribute::computed("is_default", Type::Bool).use_state_for_unknown().description("Always false: this provider creates no default resource discovery (a discovery finds networks only in the `source` files it is given), so every discovery is one you created."))
            .attribute(Attribute::computed("ipam_resource_discovery_region", Type::String).use_state_for_unknown().description("The discovery's home region: the `region` of the provider block that created it, where AWS resources are discovered when no `operating_regions` are given."))
            .attribute(tags_all_attribute())
            .attribute(region_argument())
            .block(operating_regions_block("A region AWS resources are discovered in (those of state files' `aws_*` resources and of AWS CLI output), one block each, as in the AWS provider; AWS resources in other regions are left out. None given: the provider's region (the discovery's `ipam_resource_discovery_region`). Other clouds' resources are read whatever their region."))
            .block(Block::list("source", Schema::new().description("Where to look: one file or glob per block, read at every scan. A file that is missing, not a regular file (a device, FIFO or socket: links are followed), in neither format, a state of another version or larger than 1 GiB (counted as it is read) fails the plan (and the scan) at once, naming the file.")
                .attribute(Attribute::required("path", Type::String).description(SOURCE_DOC))
                .attribute(Attribute::optional("region", Type::String).check(REGION).description("The region of resources whose file does not say (describe-vpcs output never does)."))
                .attribute(Attribute::optional("account_id", Type::String).description("The owner account of resources whose file does not say."))))
    }

    /// Checks inside the `source` blocks that the schema's declarative checks cannot state.
    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for s in config
            .get("source")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            if string(s, "path").is_some_and(|p| p.trim().is_empty()) {
                Failure::at(
                    "source",
                    "Invalid source path",
                    "A source path is empty; name a state file, AWS CLI output, or a glob of them.",
                )
                .report(diags);
            }
            if let Some(a) = string(s, "account_id") {
                if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                    Failure::at(
                        "source",
                        "Invalid source account_id",
                        format!("{a:?} is not an account id: write its 12 digits."),
                    )
                    .report(diags);
                }
            }
        }
    }

    /// Reads the sources at plan, so a missing or unreadable file fails `terraform plan`.
    fn plan(&self, call: &Call<'_>, plan: &mut Plan<'_>) {
        check_region(call, plan);
        let Some(s) = plan.planned.get("source").filter(|s| s.is_wholly_known()) else {
            return;
        };
        let list = sources(&Value::object([("source", s.clone())]));
        let base = std::env::current_dir().unwrap_or_default();
        if let Err(errors) = read_sources(&list, &base) {
            for e in errors {
                Failure::at("source", "Cannot read a discovery source", e.to_string())
                    .report(&mut plan.diagnostics);
            }
        }
    }

    fn create(&self, call: &Call<'_>, planned: &Value) -> Result<Record, Failure> {
        call.store
            .create_discovery(&call.actor, spec(planned))
            .doing("Cannot create the resource discovery", &WHOLE)
    }

    fn read(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<Option<Record>, Failure> {
        call.store
            .get_discovery(id)
            .doing("Cannot read the resource discovery", &WHOLE)
    }

    fn update(&self, call: &Call<'_>, id: &str, planned: &Value) -> Result<Record, Failure> {
        call.store
            .update_discovery(&call.actor, id, spec(planned))
            .doing("Cannot update the resource discovery", &WHOLE)
    }

    fn delete(&self, call: &Call<'_>, id: &str, _prior: &Value) -> Result<(), Failure> {
        call.store
            .delete_discovery(&call.actor, id)
            .doing("Cannot delete the resource discovery", &WHOLE)
    }

    fn state(&self, d: &Record) -> Value {
        Value::object([
            ("id", Value::string(&d.id)),
            ("description", opt_string(&d.description)),
            ("tags", tags_value(&d.tags)),
            (
                "excluded_resource_ids",
                if d.excluded_resource_ids.is_empty() {
                    Value::Null
                } else {
                    Value::set(d.excluded_resource_ids.iter().map(Value::string))
                },
            ),
            ("arn", Value::string(d.arn())),
            ("owner_id", Value::string(&d.owner_id)),
            (
                "last_scanned",
                Value::opt_string(d.last_scanned.map(|t| tfplug::time::rfc3339_utc(t, None))),
            ),
            ("operating_regions", regions_value(&d.operating_regions)),
            ("is_default", Value::Bool(false)),
            (
                "ipam_resource_discovery_region",
                Value::string(&d.home_region),
            ),
            ("tags_all", tags_value(&d.tags)),
            (
                "source",
                Value::list(d.sources.iter().map(|s| {
                    Value::object([
                        ("path", Value::string(&s.path)),
                        ("region", opt_string(&s.region)),
                        ("account_id", opt_string(&s.account_id)),
                    ])
                })),
            ),
        ])
    }
}
