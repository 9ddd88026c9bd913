# STAND-IN for the rust-overlay flake: its overlay adds rust-bin.stable.<version>.default, a toolchain whose
# `override { targets = [ ... ]; }` adds standard libraries (oxalica/rust-overlay docs/reference.md).
{
  overlays.default = _final: prev: {
    rust-bin.stable."1.95.0".default = {
      type = "derivation";
      name = "rust-default-1.95.0";
      outPath = "/nix/store/00000000000000000000000000000000-rust-default-1.95.0";
      override =
        args:
        assert builtins.isList args.targets;
        prev.runCommand "rust-default-1.95.0" { inherit (args) targets; } "";
    };
  };
}
