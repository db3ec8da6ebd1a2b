use ipam::provider::IpamProvider;
use tfplug::schema::Mode;
use tfplug::Provider;

#[test]
fn list() {
    let p = IpamProvider::new();
    for r in p.resources() {
        let s = r.schema();
        let attrs: Vec<String> = s
            .attributes
            .iter()
            .filter(|a| a.mode == Mode::Required)
            .map(|a| format!("{}:{:?}", a.name, a.ty))
            .collect();
        let blocks: Vec<String> = s.blocks.iter().map(|b| format!("{}{}", b.name, if b.config_only {"(co)"} else {""})).collect();
        println!("{} {:?} blocks {:?} one_of {:?}", r.type_name(), attrs, blocks, s.exactly_one_of);
    }
}
