fn main() {
    eprintln!("terraform-provider-ipam: not yet wired");
    std::process::exit(1);
}
