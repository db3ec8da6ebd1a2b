//! Reading discovery sources: Terraform state (v4 `terraform.tfstate`, or `terraform show
//! -json` output) and the JSON of `aws ec2 describe-vpcs` / `describe-subnets`.
//!
//! Every file is recognised by its shape, never by its name. Anything else (a missing file, a
//! file in neither format, another state version, a file too large to be a state) is a
//! [`SourceError`] that names the file and says what to do; a scan with any error writes
//! nothing.

use super::glob;
use super::state::{self, StateError};
use super::{Resource, ResourceType};
use ipam_engine::Cidr;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One `source` block: a file or glob, and what to assume where the file does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
}

/// Larger than any state file this reader expects (100,000 resources take about 80 MB).
pub const MAX_BYTES: u64 = 1 << 30;

/// Why a source could not be read. Each names the file (or pattern) at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{pattern}: no file matches this pattern; check the path (relative paths start at the directory Terraform runs in)")]
    NoMatch { pattern: String },
    #[error("{file}: no such file; check the path (relative paths start at the directory Terraform runs in)")]
    Missing { file: String },
    #[error("{file}: cannot be read ({reason})")]
    Unreadable { file: String, reason: String },
    #[error("{file}: {bytes} bytes is more than the {limit} a source may have; split it, or point the source at a smaller file")]
    TooLarge {
        file: String,
        bytes: u64,
        limit: u64,
    },
    #[error("{file}: not JSON ({reason}); a source is a Terraform state file, `terraform show -json` output, or `aws ec2 describe-vpcs`/`describe-subnets` output")]
    NotJson { file: String, reason: String },
    #[error("{file}: neither a Terraform state (\"version\": 4), `terraform show -json` output (\"format_version\") nor `aws ec2 describe-vpcs`/`describe-subnets` output (\"Vpcs\"/\"Subnets\")")]
    Neither { file: String },
    #[error("{file}: a Terraform state of version {version}; only version 4 (Terraform 0.12 and later) is read: run `terraform show -json` with a current Terraform and point the source at its output")]
    StateVersion { file: String, version: String },
    #[error("{file}: `terraform show -json` output of format {version}; only format 1.x is read")]
    ShowFormat { file: String, version: String },
    #[error("{file}: {what} is not as Terraform or the AWS CLI writes it ({reason})")]
    Invalid {
        file: String,
        what: String,
        reason: String,
    },
    #[error("{file}: {resource} has the CIDR {cidr:?}, which is not a CIDR block ({reason})")]
    BadCidr {
        file: String,
        resource: String,
        cidr: String,
        reason: String,
    },
}

/// Every resource CIDR of every source, relative paths taken from `base`. All errors are
/// reported, not only the first. The same CIDR of the same resource found in several files is
/// kept once, and a resource's secondary CIDRs take the owner, region, name and tags another
/// file gives its VPC.
pub fn read_sources(sources: &[Source], base: &Path) -> Result<Vec<Resource>, Vec<SourceError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let files = glob::expand(&s.path, base);
        if files.is_empty() {
            errors.push(SourceError::NoMatch {
                pattern: s.path.clone(),
            });
        }
        for f in files {
            match read_stated(&f) {
                Ok(r) => out.extend(r.into_iter().map(|r| (r, i))),
                Err(e) => errors.push(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut merged = merge(out);
    for (r, i) in &mut merged {
        fill(r, &sources[*i]);
    }
    Ok(merged.into_iter().map(|(r, _)| r).collect())
}

/// Fills in what the file did not say from its `source` block.
fn fill(r: &mut Resource, s: &Source) {
    r.owner_id = r.owner_id.take().or_else(|| s.account_id.clone());
    r.region = r.region.take().or_else(|| s.region.clone());
}

/// Reads one file, with what `defaults` says where the file says nothing.
pub fn read_file(path: &Path, defaults: &Source) -> Result<Vec<Resource>, SourceError> {
    let mut r = read_stated(path)?;
    r.iter_mut().for_each(|r| fill(r, defaults));
    Ok(r)
}

/// Reads one file (only what it states).
fn read_stated(path: &Path) -> Result<Vec<Resource>, SourceError> {
    let file = path.display().to_string();
    let text = read_bytes(path, &file, MAX_BYTES)?;
    parse_stated(&file, &text)
}

/// The bytes of a regular file (after following links), at most `limit` of them. A
/// device, FIFO or socket is refused at once, naming the path: `/dev/zero` has no end and a
/// FIFO with no writer blocks forever, and neither says so in its size (0). The file is opened
/// without blocking (a FIFO's open would wait for a writer), its type taken from the open file
/// (no race with a rename), and the limit enforced while reading (a file may grow).
fn read_bytes(path: &Path, file: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
    use std::io::Read;
    let unreadable = |reason: String| SourceError::Unreadable {
        file: file.to_string(),
        reason,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let f = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SourceError::Missing {
                file: file.to_string(),
            })
        }
        // A unix socket cannot be opened at all (ENXIO): say what it is.
        Err(e) => {
            let kind = std::fs::metadata(path)
                .ok()
                .and_then(|m| special_kind(&m.file_type()));
            return Err(unreadable(match kind {
                Some(kind) => not_regular(kind),
                None => e.to_string(),
            }));
        }
    };
    let meta = f.metadata().map_err(|e| unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(unreadable(
            "it is a directory; name the files in it, e.g. with *.tfstate".into(),
        ));
    }
    if !meta.is_file() {
        let kind = special_kind(&meta.file_type()).unwrap_or("not a regular file");
        return Err(unreadable(not_regular(kind)));
    }
    if meta.len() > limit {
        return Err(SourceError::TooLarge {
            file: file.to_string(),
            bytes: meta.len(),
            limit,
        });
    }
    // The size said is not trusted: /proc files say 0, and a file may grow while it is read.
    let mut text = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.take(limit + 1)
        .read_to_end(&mut text)
        .map_err(|e| unreadable(e.to_string()))?;
    if text.len() as u64 > limit {
        return Err(SourceError::TooLarge {
            file: file.to_string(),
            bytes: text.len() as u64,
            limit,
        });
    }
    Ok(text)
}

/// What a file that is neither a regular file nor a directory is, in a person's words.
fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    (!t.is_file() && !t.is_dir()).then_some("an unusual kind of file")
}

fn not_regular(kind: &str) -> String {
    format!("it is {kind}, not a regular file; a source is a file Terraform or the AWS CLI wrote")
}

/// Parses the text of one file named `file`, with `defaults` where it says nothing.
pub fn parse(file: &str, text: &[u8], defaults: &Source) -> Result<Vec<Resource>, SourceError> {
    let mut r = parse_stated(file, text)?;
    r.iter_mut().for_each(|r| fill(r, defaults));
    Ok(r)
}

fn parse_stated(file: &str, text: &[u8]) -> Result<Vec<Resource>, SourceError> {
    // Only the top level is read first; a state's resources are read one by one, and only the
    // attributes of the listed types are decoded (a 100,000-resource state in a fraction of a
    // second).
    let doc: Top<'_> = serde_json::from_slice(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => SourceError::Neither { file: file.into() },
        _ => SourceError::NotJson {
            file: file.into(),
            reason: e.to_string(),
        },
    })?;
    let mut r = Reader {
        file,
        out: Vec::new(),
    };
    let invalid = |what: &str, e: serde_json::Error| SourceError::Invalid {
        file: file.into(),
        what: what.into(),
        reason: e.to_string(),
    };
    if let Some(vpcs) = doc.vpcs {
        let vpcs: Vec<Value> = serde_json::from_str(vpcs.get()).map_err(|e| invalid("Vpcs", e))?;
        vpcs.iter().try_for_each(|v| r.aws_cli_vpc(v))?;
    } else if let Some(subnets) = doc.subnets {
        let subnets: Vec<Value> =
            serde_json::from_str(subnets.get()).map_err(|e| invalid("Subnets", e))?;
        subnets.iter().try_for_each(|s| r.aws_cli_subnet(s))?;
    } else {
        let top = state::Top {
            version: doc.version,
            format_version: doc.format_version,
            resources: doc.resources,
            values: doc.values,
        };
        let instances = state::instances(&top).map_err(|e| match e {
            StateError::Empty => SourceError::NotJson {
                file: file.into(),
                reason: "the file is empty".into(),
            },
            StateError::NotJson(reason) => SourceError::NotJson {
                file: file.into(),
                reason,
            },
            StateError::Neither => SourceError::Neither { file: file.into() },
            StateError::Version(version) => SourceError::StateVersion {
                file: file.into(),
                version,
            },
            StateError::ShowFormat(version) => SourceError::ShowFormat {
                file: file.into(),
                version,
            },
            StateError::NotAList(what) => SourceError::Invalid {
                file: file.into(),
                what: what.into(),
                reason: "not a list".into(),
            },
            StateError::Invalid { what, reason } => SourceError::Invalid {
                file: file.into(),
                what,
                reason,
            },
        })?;
        for i in &instances {
            if i.mode != "managed" || !is_network(&i.ty) {
                continue;
            }
            if let Some(raw) = i.attributes {
                r.terraform(&i.ty, &i.name, raw)?;
            }
        }
    }
    Ok(r.out)
}

/// The resource types whose CIDRs are read.
const NETWORK_TYPES: [&str; 7] = [
    "aws_vpc",
    "aws_vpc_ipv4_cidr_block_association",
    "aws_subnet",
    "google_compute_subnetwork",
    "azurerm_virtual_network",
    "azurerm_subnet",
    "ipam_vpc_allocation",
];

fn is_network(ty: &str) -> bool {
    NETWORK_TYPES.contains(&ty)
}

/// The top level of any source, each part left raw until the format is known.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    format_version: Option<&'a RawValue>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
    #[serde(borrow, rename = "Vpcs")]
    vpcs: Option<&'a RawValue>,
    #[serde(borrow, rename = "Subnets")]
    subnets: Option<&'a RawValue>,
}

/// The attributes read from the listed resource types (any other attribute is skipped).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Attrs {
    id: Option<String>,
    arn: Option<String>,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    owner_id: Option<String>,
    availability_zone: Option<String>,
    vpc_id: Option<String>,
    tags: Option<BTreeMap<String, Option<String>>>,
    cidr: Option<String>,
    region: Option<String>,
    name: Option<String>,
    project: Option<String>,
    network: Option<String>,
    ip_cidr_range: Option<String>,
    secondary_ip_range: Option<Vec<SecondaryRange>>,
    location: Option<String>,
    address_space: Option<Vec<String>>,
    address_prefixes: Option<Vec<String>>,
    address_prefix: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SecondaryRange {
    ip_cidr_range: Option<String>,
}

/// A non-empty string field.
fn nz(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl Attrs {
    fn tags(&self) -> BTreeMap<String, String> {
        self.tags
            .iter()
            .flatten()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
            .collect()
    }
}

/// Keeps one record per (resource, CIDR), and fills a record's missing owner, region, name and
/// tags from another record of the same resource (a secondary CIDR association says only its
/// VPC's id).
fn merge<T>(all: Vec<(Resource, T)>) -> Vec<(Resource, T)> {
    let mut seen = std::collections::HashSet::new();
    let mut unique: Vec<(Resource, T)> = all
        .into_iter()
        .filter(|(r, _)| seen.insert((r.resource_type, r.resource_id.clone(), r.cidr)))
        .collect();
    let mut known: HashMap<(ResourceType, String), Resource> = HashMap::new();
    for (r, _) in &unique {
        let k = known
            .entry((r.resource_type, r.resource_id.clone()))
            .or_insert_with(|| r.clone());
        k.owner_id = k.owner_id.take().or_else(|| r.owner_id.clone());
        k.region = k.region.take().or_else(|| r.region.clone());
        k.name = k.name.take().or_else(|| r.name.clone());
        if k.tags.is_empty() {
            k.tags = r.tags.clone();
        }
    }
    for (r, _) in &mut unique {
        if let Some(k) = known.get(&(r.resource_type, r.resource_id.clone())) {
            r.owner_id = r.owner_id.take().or_else(|| k.owner_id.clone());
            r.region = r.region.take().or_else(|| k.region.clone());
            r.name = r.name.take().or_else(|| k.name.clone());
            if r.tags.is_empty() {
                r.tags = k.tags.clone();
            }
        }
    }
    unique
}

/// The non-empty string at `key`.
fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// AWS's tag list, `[{"Key": .., "Value": ..}]`.
fn aws_tags(o: &Map<String, Value>) -> BTreeMap<String, String> {
    o.get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ))
        })
        .collect()
}

/// The region of an ARN (`arn:aws:ec2:us-east-1:123456789012:vpc/vpc-…`).
fn arn_region(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(String::from)
}

/// The region of an availability zone (`us-east-1a` → `us-east-1`).
fn zone_region(az: &str) -> Option<String> {
    let r = az.trim_end_matches(|c: char| c.is_ascii_lowercase());
    (!r.is_empty() && r != az).then(|| r.to_string())
}

/// The subscription of an Azure resource id (`/subscriptions/<id>/resourceGroups/…`).
fn azure_subscription(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    parts
        .by_ref()
        .find(|p| p.eq_ignore_ascii_case("subscriptions"))?;
    parts.next().filter(|s| !s.is_empty()).map(String::from)
}

struct Reader<'a> {
    file: &'a str,
    out: Vec<Resource>,
}

/// What one record says about its resource, besides the CIDR.
struct About<'a> {
    id: &'a str,
    ty: ResourceType,
    owner: Option<String>,
    region: Option<String>,
    vpc_id: Option<&'a str>,
    name: Option<String>,
    tags: BTreeMap<String, String>,
    aws: bool,
}

impl Reader<'_> {
    fn push(&mut self, a: &About<'_>, cidr: &str) -> Result<(), SourceError> {
        let c = Cidr::parse(cidr).map_err(|e| SourceError::BadCidr {
            file: self.file.into(),
            resource: a.id.into(),
            cidr: cidr.into(),
            reason: e.to_string(),
        })?;
        self.out.push(Resource {
            resource_id: a.id.to_string(),
            resource_type: a.ty,
            cidr: c,
            owner_id: a.owner.clone(),
            region: a.region.clone(),
            vpc_id: a.vpc_id.map(String::from),
            name: a.name.clone().or_else(|| a.tags.get("Name").cloned()),
            tags: a.tags.clone(),
            source: self.file.to_string(),
            aws: a.aws,
        });
        Ok(())
    }

    fn push_all(&mut self, a: &About<'_>, cidrs: Vec<&str>) -> Result<(), SourceError> {
        cidrs.into_iter().try_for_each(|c| self.push(a, c))
    }

    /// One instance of a listed Terraform resource type.
    fn terraform(&mut self, ty: &str, name: &str, raw: &RawValue) -> Result<(), SourceError> {
        let o: Attrs = serde_json::from_str(raw.get()).map_err(|e| SourceError::Invalid {
            file: self.file.into(),
            what: format!("{ty}.{name}"),
            reason: e.to_string(),
        })?;
        let id = nz(&o.id).unwrap_or_default();
        match ty {
            "aws_vpc" | "aws_subnet" => {
                let subnet = ty == "aws_subnet";
                let about = About {
                    id,
                    ty: if subnet {
                        ResourceType::Subnet
                    } else {
                        ResourceType::Vpc
                    },
                    owner: nz(&o.owner_id).map(String::from),
                    region: nz(&o.arn)
                        .and_then(arn_region)
                        .or_else(|| nz(&o.availability_zone).and_then(zone_region))
                        .or_else(|| nz(&o.region).map(String::from)),
                    vpc_id: if subnet { nz(&o.vpc_id) } else { Some(id) },
                    name: None,
                    tags: o.tags(),
                    aws: true,
                };
                for c in [nz(&o.cidr_block), nz(&o.ipv6_cidr_block)]
                    .into_iter()
                    .flatten()
                {
                    self.push(&about, c)?;
                }
            }
            "aws_vpc_ipv4_cidr_block_association" => {
                if let (Some(vpc), Some(c)) = (nz(&o.vpc_id), nz(&o.cidr_block)) {
                    let about = About {
                        id: vpc,
                        ty: ResourceType::Vpc,
                        owner: None,
                        region: nz(&o.region).map(String::from),
                        vpc_id: Some(vpc),
                        name: None,
                        tags: BTreeMap::new(),
                        aws: true,
                    };
                    self.push(&about, c)?;
                }
            }
            "ipam_vpc_allocation" => {
                if let (Some(vpc), Some(c)) = (nz(&o.vpc_id), nz(&o.cidr)) {
                    let about = About {
                        id: vpc,
                        ty: ResourceType::Vpc,
                        owner: nz(&o.owner_id).map(String::from),
                        region: nz(&o.region).map(String::from),
                        vpc_id: Some(vpc),
                        name: nz(&o.name).map(String::from),
                        tags: o.tags(),
                        aws: true,
                    };
                    self.push(&about, c)?;
                }
            }
            "google_compute_subnetwork" => {
                let about = About {
                    id,
                    ty: ResourceType::Subnet,
                    owner: nz(&o.project).map(String::from),
                    region: nz(&o.region).map(String::from),
                    vpc_id: nz(&o.network),
                    name: nz(&o.name).map(String::from),
                    tags: BTreeMap::new(),
                    aws: false,
                };
                let secondary = o.secondary_ip_range.iter().flatten();
                for c in nz(&o.ip_cidr_range)
                    .into_iter()
                    .chain(secondary.filter_map(|r| nz(&r.ip_cidr_range)))
                {
                    self.push(&about, c)?;
                }
            }
            "azurerm_virtual_network" | "azurerm_subnet" => {
                let subnet = ty == "azurerm_subnet";
                let about = About {
                    id,
                    ty: if subnet {
                        ResourceType::Subnet
                    } else {
                        ResourceType::Vpc
                    },
                    owner: azure_subscription(id),
                    region: nz(&o.location).map(String::from),
                    vpc_id: if subnet {
                        id.rsplit_once("/subnets/").map(|(v, _)| v)
                    } else {
                        Some(id)
                    },
                    name: nz(&o.name).map(String::from),
                    tags: o.tags(),
                    aws: false,
                };
                let list = if subnet {
                    &o.address_prefixes
                } else {
                    &o.address_space
                };
                let mut cidrs: Vec<&str> = list.iter().flatten().map(String::as_str).collect();
                if subnet {
                    cidrs.extend(nz(&o.address_prefix));
                }
                for c in cidrs.into_iter().filter(|c| !c.is_empty()) {
                    self.push(&about, c)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// One entry of `aws ec2 describe-vpcs`: its associated IPv4 and IPv6 CIDRs.
    fn aws_cli_vpc(&mut self, v: &Value) -> Result<(), SourceError> {
        let Some(o) = v.as_object() else {
            return Ok(());
        };
        let id = text(o, "VpcId").unwrap_or_default();
        let about = About {
            id,
            ty: ResourceType::Vpc,
            owner: text(o, "OwnerId").map(String::from),
            region: None,
            vpc_id: Some(id),
            name: None,
            tags: aws_tags(o),
            aws: true,
        };
        let v4 = associated(o, "CidrBlockAssociationSet", "CidrBlock", "CidrBlockState")
            .or_else(|| text(o, "CidrBlock").map(|c| vec![c]));
        self.push_all(&about, v4.unwrap_or_default())?;
        self.push_all(&about, ipv6_associated(o))
    }

    /// One entry of `aws ec2 describe-subnets`.
    fn aws_cli_subnet(&mut self, v: &Value) -> Result<(), SourceError> {
        let Some(o) = v.as_object() else {
            return Ok(());
        };
        let about = About {
            id: text(o, "SubnetId").unwrap_or_default(),
            ty: ResourceType::Subnet,
            owner: text(o, "OwnerId").map(String::from),
            region: text(o, "SubnetArn")
                .and_then(arn_region)
                .or_else(|| text(o, "AvailabilityZone").and_then(zone_region)),
            vpc_id: text(o, "VpcId"),
            name: None,
            tags: aws_tags(o),
            aws: true,
        };
        self.push_all(&about, text(o, "CidrBlock").into_iter().collect())?;
        self.push_all(&about, ipv6_associated(o))
    }
}

/// The IPv6 CIDRs associated with a VPC or subnet (AWS CLI output).
fn ipv6_associated(o: &Map<String, Value>) -> Vec<&str> {
    associated(
        o,
        "Ipv6CidrBlockAssociationSet",
        "Ipv6CidrBlock",
        "Ipv6CidrBlockState",
    )
    .unwrap_or_default()
}

/// The CIDRs of an association set whose state is `associated` (or not given); `None` when the
/// set is absent.
fn associated<'a>(
    o: &'a Map<String, Value>,
    set: &str,
    cidr: &str,
    state: &str,
) -> Option<Vec<&'a str>> {
    let list = o.get(set)?.as_array()?;
    Some(
        list.iter()
            .filter_map(Value::as_object)
            .filter(|a| {
                a.get(state)
                    .and_then(|s| s.get("State"))
                    .and_then(Value::as_str)
                    .is_none_or(|s| s == "associated")
            })
            .filter_map(|a| text(a, cidr))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> Source {
        Source {
            path: String::new(),
            region: Some("us-east-1".into()),
            account_id: Some("111122223333".into()),
        }
    }

    fn cidrs(r: &[Resource]) -> Vec<String> {
        r.iter()
            .map(|r| format!("{} {} {}", r.resource_type.as_str(), r.resource_id, r.cidr))
            .collect()
    }

    #[test]
    fn describe_vpcs_reads_associated_blocks_only() {
        let text = br#"{"Vpcs": [{"CidrBlock": "10.0.0.0/16", "VpcId": "vpc-1", "OwnerId": "444455556666",
            "CidrBlockAssociationSet": [
              {"AssociationId": "a1", "CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
              {"AssociationId": "a2", "CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "disassociated"}}],
            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18::/56", "Ipv6CidrBlockState": {"State": "associated"}}],
            "Tags": [{"Key": "Name", "Value": "legacy"}]}]}"#;
        let r = parse("vpcs.json", text, &src()).unwrap();
        assert_eq!(
            cidrs(&r),
            ["vpc vpc-1 10.0.0.0/16", "vpc vpc-1 2600:1f18::/56"]
        );
        assert_eq!(r[0].owner_id.as_deref(), Some("444455556666"));
        assert_eq!(r[0].region.as_deref(), Some("us-east-1"));
        assert_eq!(r[0].name.as_deref(), Some("legacy"));
    }

    #[test]
    fn describe_subnets_take_the_region_from_the_arn() {
        let text = br#"{"Subnets": [{"AvailabilityZone": "eu-west-1b", "CidrBlock": "10.0.1.0/24", "SubnetId": "subnet-1",
            "VpcId": "vpc-1", "OwnerId": "444455556666", "SubnetArn": "arn:aws:ec2:eu-west-1:444455556666:subnet/subnet-1"}]}"#;
        let r = parse("subnets.json", text, &src()).unwrap();
        assert_eq!(cidrs(&r), ["subnet subnet-1 10.0.1.0/24"]);
        assert_eq!(r[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(r[0].vpc_id.as_deref(), Some("vpc-1"));
    }

    #[test]
    fn state_v4_and_show_json_read_the_listed_types() {
        let state = br#"{"version": 4, "terraform_version": "1.15.5", "serial": 3, "lineage": "x", "outputs": {},
          "resources": [
            {"mode": "managed", "type": "aws_vpc", "name": "a", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 1, "attributes": {"id": "vpc-a", "cidr_block": "10.2.0.0/16", "ipv6_cidr_block": "",
               "arn": "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-a", "owner_id": "123456789012", "tags": {"Name": "a"}}}]},
            {"mode": "managed", "type": "aws_vpc_ipv4_cidr_block_association", "name": "b", "provider": "p",
             "instances": [{"attributes": {"id": "vpc-cidr-assoc-1", "vpc_id": "vpc-a", "cidr_block": "10.3.0.0/16"}}]},
            {"mode": "data", "type": "aws_vpc", "name": "d", "provider": "p",
             "instances": [{"attributes": {"id": "vpc-d", "cidr_block": "10.4.0.0/16"}}]},
            {"mode": "managed", "type": "terraform_data", "name": "t", "provider": "p", "instances": [{"attributes": {"id": "x"}}]}]}"#;
        let r = read_merged(&[("s.tfstate", state.as_slice())]);
        assert_eq!(
            cidrs(&r),
            ["vpc vpc-a 10.2.0.0/16", "vpc vpc-a 10.3.0.0/16"]
        );
        // The association's CIDR takes its VPC's owner, region and name.
        assert_eq!(r[1].region.as_deref(), Some("eu-west-1"));
        assert_eq!(r[1].name.as_deref(), Some("a"));

        let show = br#"{"format_version": "1.0", "terraform_version": "1.15.5", "values": {"root_module": {
            "resources": [{"address": "azurerm_virtual_network.v", "mode": "managed", "type": "azurerm_virtual_network", "name": "v",
              "values": {"id": "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
                "name": "v", "address_space": ["10.20.0.0/16"], "location": "westeurope", "tags": {}}}],
            "child_modules": [{"resources": [{"address": "module.n.google_compute_subnetwork.s", "mode": "managed",
              "type": "google_compute_subnetwork", "name": "s", "values": {"id": "projects/p/regions/europe-west1/subnetworks/s",
                "name": "s", "ip_cidr_range": "10.30.0.0/20", "region": "europe-west1", "project": "p",
                "network": "net", "secondary_ip_range": [{"range_name": "pods", "ip_cidr_range": "10.31.0.0/16"}]}}]}]}}}"#;
        let r = parse("show.json", show, &src()).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].owner_id.as_deref(), Some("sub-1"));
        assert_eq!(r[0].region.as_deref(), Some("westeurope"));
        assert!(!r[0].aws);
        assert_eq!(r[2].cidr.to_string(), "10.31.0.0/16");
    }

    fn read_merged(files: &[(&str, &[u8])]) -> Vec<Resource> {
        let stated = files
            .iter()
            .flat_map(|(f, t)| parse_stated(f, t).unwrap())
            .map(|r| (r, ()))
            .collect();
        merge(stated)
            .into_iter()
            .map(|(mut r, ())| {
                fill(&mut r, &src());
                r
            })
            .collect()
    }

    #[test]
    fn bad_input_names_the_file() {
        let e = |t: &[u8]| parse("bad.json", t, &src()).unwrap_err();
        assert!(matches!(e(b"not json"), SourceError::NotJson { .. }));
        assert!(matches!(e(b"[1, 2]"), SourceError::Neither { .. }));
        assert!(matches!(e(br#"{"a": 1}"#), SourceError::Neither { .. }));
        let v3 = e(br#"{"version": 3, "modules": []}"#);
        assert!(
            v3.to_string()
                .starts_with("bad.json: a Terraform state of version 3"),
            "{v3}"
        );
        assert!(matches!(
            e(br#"{"format_version": "2.0"}"#),
            SourceError::ShowFormat { .. }
        ));
        let host_bits = e(br#"{"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.1/16"}]}"#);
        assert!(host_bits.to_string().contains("vpc-1"), "{host_bits}");

        let d = tempfile::tempdir().unwrap();
        let errs = read_sources(
            &[
                Source {
                    path: "missing.tfstate".into(),
                    ..src()
                },
                Source {
                    path: "none-*.json".into(),
                    ..src()
                },
            ],
            d.path(),
        )
        .unwrap_err();
        assert!(
            matches!(&errs[0], SourceError::Missing { file } if file.ends_with("missing.tfstate"))
        );
        assert!(matches!(&errs[1], SourceError::NoMatch { pattern } if pattern == "none-*.json"));

        // Too large to be a state: refused from its size, before reading it (a sparse file).
        let huge = d.path().join("huge.tfstate");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_BYTES + 1)
            .unwrap();
        let e = read_file(&huge, &src()).unwrap_err();
        assert!(matches!(e, SourceError::TooLarge { .. }), "{e}");
        assert!(
            e.to_string().starts_with(&huge.display().to_string()),
            "{e}"
        );
    }

    /// Reads `pattern` (under `base`) on another thread; the errors, or a failure if it takes
    /// more than a second (a FIFO or a device used to hang the scan, or eat the memory).
    fn read_within_a_second(pattern: &str, base: &Path) -> Result<Vec<Resource>, Vec<SourceError>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (pattern, base) = (pattern.to_string(), base.to_path_buf());
        std::thread::spawn(move || {
            let sources = [Source {
                path: pattern,
                ..Source::default()
            }];
            let _ = tx.send(read_sources(&sources, &base));
        });
        rx.recv_timeout(std::time::Duration::from_secs(1))
            .expect("the read did not finish within a second")
    }

    #[test]
    fn devices_fifos_and_sockets_are_refused_at_once_naming_the_path() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("pipe.tfstate");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let socket = d.path().join("sock.tfstate");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        for (path, kind) in [
            ("/dev/zero".to_string(), "a character device"),
            ("/dev/null".to_string(), "a character device"),
            (fifo.display().to_string(), "a FIFO"),
            (socket.display().to_string(), "a socket"),
        ] {
            let errs = read_within_a_second(&path, d.path()).unwrap_err();
            let text = errs[0].to_string();
            assert!(text.starts_with(&path), "{text}");
            assert!(text.contains(kind), "{path}: {text}");
            assert!(text.contains("not a regular file"), "{text}");
        }
        // Matched by a wildcard, they are named as well, not skipped.
        let errs = read_within_a_second("*.tfstate", d.path()).unwrap_err();
        let all: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 2, "{all:?}");
        assert!(
            all[0].contains("pipe.tfstate") && all[0].contains("FIFO"),
            "{all:?}"
        );
        assert!(
            all[1].contains("sock.tfstate") && all[1].contains("socket"),
            "{all:?}"
        );
    }

    #[test]
    fn a_link_to_a_regular_file_is_read_and_the_limit_holds_while_reading() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.json");
        std::fs::write(
            &real,
            r#"{"Vpcs":[{"CidrBlock":"10.9.0.0/16","VpcId":"vpc-0a000000000000009"}]}"#,
        )
        .unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let found = read_within_a_second("link.json", d.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].cidr.to_string(), "10.9.0.0/16");
        // A link to a device is the device.
        let to_zero = d.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &to_zero).unwrap();
        let errs = read_within_a_second("zero.json", d.path()).unwrap_err();
        assert!(
            errs[0].to_string().contains("a character device"),
            "{}",
            errs[0]
        );
        // A /proc file says it holds 0 bytes: the limit is counted on what is read.
        let status = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(status).unwrap().len(), 0);
        let e = read_bytes(status, "/proc/self/status", 16).unwrap_err();
        assert!(
            matches!(
                e,
                SourceError::TooLarge {
                    bytes: 17,
                    limit: 16,
                    ..
                }
            ),
            "{e}"
        );
        assert!(read_bytes(status, "/proc/self/status", MAX_BYTES).is_ok());
    }
}
