{
  description = "Todo AI Chatbot: static Rust services, minimal OCI images, checks and a kind deployment";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";
    # A crane release: its lib/default.nix supports nixpkgs 25.11 (minSupported); master after v0.23.4 requires
    # nixpkgs 26.05 and warns on every command with 25.11. `nix flake update` keeps this tag.
    crane.url = "github:ipetkov/crane/v0.23.4";
    # The Rust toolchain with the musl standard library for the static binaries in the images
    # (crane's examples/cross-musl); nixpkgs' own rustc has no musl target for the host system.
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  # Nix calls `outputs` with the inputs and `self` (call-flake.nix: `flake.outputs (inputs // { self = result; })`);
  # `...` takes `self`, which nothing here uses. scripts/check-nix calls it the same way with stand-in inputs.
  outputs =
    {
      nixpkgs,
      crane,
      rust-overlay,
      ...
    }:
    let
      helpers = import ./nix/lib.nix;
      # Images are Linux-only (kind nodes run x86_64 or aarch64 Linux); macOS builds through a Linux builder.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forEachSystem =
        f:
        nixpkgs.lib.genAttrs systems (
          system:
          f (
            import nixpkgs {
              inherit system;
              overlays = [ rust-overlay.overlays.default ];
            }
          )
        );
      perSystem = forEachSystem (
        pkgs:
        let
          packages = import ./nix/packages.nix { inherit pkgs crane helpers; };
          images = import ./nix/images.nix { inherit pkgs helpers packages; };
        in
        {
          packages = {
            inherit (packages) todo-backend todo-frontend;
            todo-backend-image = images.todo-backend;
            todo-frontend-image = images.todo-frontend;
            todo-postgres-image = images.todo-postgres;
            images = images.all;
            default = images.all;
          };
          checks = import ./nix/checks.nix { inherit pkgs packages images; };
          devShells.default = import ./nix/devshell.nix { inherit pkgs packages; };
          apps = import ./nix/apps.nix {
            inherit pkgs;
            images = images.all;
            inherit (images) imageTags;
            chart = ./helm-chart;
          };
          formatter = pkgs.nixfmt-tree;
        }
      );
    in
    {
      packages = nixpkgs.lib.mapAttrs (_: s: s.packages) perSystem;
      checks = nixpkgs.lib.mapAttrs (_: s: s.checks) perSystem;
      devShells = nixpkgs.lib.mapAttrs (_: s: s.devShells) perSystem;
      apps = nixpkgs.lib.mapAttrs (_: s: s.apps) perSystem;
      formatter = nixpkgs.lib.mapAttrs (_: s: s.formatter) perSystem;
    };
}
