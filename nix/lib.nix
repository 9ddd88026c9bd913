# Pure helpers for the flake: no inputs, no nixpkgs, only builtins. scripts/check-nix evaluates them
# (nix/lib-test.nix) with a scratch store, so what they compute is tested even where no Nix build runs.
rec {
  # The systems whose kind nodes run these images, and the Macs the deploy apps also run on.
  linuxSystems = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  darwinSystems = [
    "x86_64-darwin"
    "aarch64-darwin"
  ];

  # The Linux system of a host's kind nodes: Docker Desktop and podman machine on a Mac run a Linux VM of the
  # Mac's own CPU, so an Apple Silicon Mac deploys aarch64-linux images (built by a Linux builder).
  linuxSystemFor =
    system:
    {
      x86_64-linux = "x86_64-linux";
      aarch64-linux = "aarch64-linux";
      x86_64-darwin = "x86_64-linux";
      aarch64-darwin = "aarch64-linux";
    }
    .${system} or (throw "no Linux system for the kind nodes of ${system}");

  # Target of the static (musl) build of each Linux system: the images carry one self-contained binary.
  muslTarget =
    system:
    {
      x86_64-linux = "x86_64-unknown-linux-musl";
      aarch64-linux = "aarch64-unknown-linux-musl";
    }
    .${system} or (throw "no static musl target for ${system}");

  # `[workspace.package]` of the root Cargo.toml: version and repository label the images.
  workspacePackage = cargoToml: (builtins.fromTOML (builtins.readFile cargoToml)).workspace.package;

  # File name of an image inside `packages.images`; the deploy app and the README rely on it.
  archiveName = image: "${image}.tar";

  # Helm values that point the chart at this build's images, as `nix run .#deploy-kind` sets them with --set:
  # { backend, frontend, postgres } dockerTools images (their imageName and imageTag) to the chart's
  # <component>.image keys (the database's key is `postgresql`).
  chartImageValues =
    {
      backend,
      frontend,
      postgres,
    }:
    let
      image = built: {
        repository = built.imageName;
        tag = built.imageTag;
      };
    in
    {
      backend.image = image backend;
      frontend.image = image frontend;
      postgresql.image = image postgres;
    };

  # How containerd names an image a pod asks for as `<name>:<tag>` (Docker Hub's library namespace);
  # `k3s crictl inspecti` finds imported images under this name.
  containerdReference = built: "docker.io/library/${built.imageName}:${built.imageTag}";
}
