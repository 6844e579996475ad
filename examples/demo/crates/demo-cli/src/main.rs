use std::io::Read;

fn main() {
    let mut input = String::new();
    if let Err(error) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("demo: cannot read standard input: {error}");
        std::process::exit(1);
    }
    let stats = demo_core::stats(&input);
    println!("{} ({} bytes)", demo_text::report(&input), input.len());
    if stats.words == 0 {
        std::process::exit(3);
    }
}
