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
      inherit (nixpkgs) lib;
      helpers = import ./nix/lib.nix;
      inherit (helpers) linuxSystems darwinSystems;

      pkgsFor =
        system:
        import nixpkgs {
          inherit system;
          overlays = [ rust-overlay.overlays.default ];
        };

      # Binaries, images and checks: Linux only (the images run in kind's Linux nodes).
      builds = lib.genAttrs linuxSystems (
        system:
        let
          pkgs = pkgsFor system;
          packages = import ./nix/packages.nix { inherit pkgs crane helpers; };
          images = import ./nix/images.nix { inherit pkgs helpers packages; };
        in
        {
          inherit pkgs packages images;
        }
      );

      # The deploy apps run on the host, a Mac too: there they deploy the Linux images of the Mac's CPU, which
      # Nix builds on a Linux builder (for example nix-darwin's nix.linux-builder).
      appsFor =
        system:
        let
          inherit (builds.${helpers.linuxSystemFor system}) images;
        in
        import ./nix/apps.nix {
          pkgs = pkgsFor system;
          images = images.all;
          inherit (images) imageTags;
          chart = ./helm-chart;
        };
    in
    {
      packages = lib.mapAttrs (
        _: build:
        let
          inherit (build) packages images;
        in
        {
          inherit (packages) todo-backend todo-frontend;
          todo-backend-image = images.todo-backend;
          todo-frontend-image = images.todo-frontend;
          todo-postgres-image = images.todo-postgres;
          images = images.all;
          default = images.all;
        }
      ) builds;
      checks = lib.mapAttrs (_: build: import ./nix/checks.nix { inherit (build) pkgs packages images; }) builds;
      devShells = lib.mapAttrs (_: build: {
        default = import ./nix/devshell.nix { inherit (build) pkgs packages; };
      }) builds;
      apps = lib.genAttrs (linuxSystems ++ darwinSystems) appsFor;
      formatter = lib.genAttrs (linuxSystems ++ darwinSystems) (system: (pkgsFor system).nixfmt-tree);
    };
}
