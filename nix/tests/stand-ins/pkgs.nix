# STAND-IN for a nixpkgs package set of one system: every package and builder the flake uses, as a fake
# derivation that records its arguments (drvAttrs) and gets a store path made from them, so equal arguments give
# equal paths. Builders check the arguments they require (nixpkgs pkgs/build-support/trivial-builders and
# docker/default.nix). Nothing can be built from these.
{ system }:
let
  lib = import ./lib.nix;
  linux = [
    "x86_64-linux"
    "aarch64-linux"
  ];
  derivation' =
    name: args:
    {
      type = "derivation";
      inherit name system;
      outPath = "/nix/store/${
        builtins.substring 0 32 (builtins.hashString "sha256" (builtins.toJSON [ name system args ]))
      }-${name}";
      drvAttrs = args;
      meta = args.meta or { };
    }
    // (args.passthru or { });
  package = name: extra: derivation' name { } // extra;
  require =
    builder: names: args:
    let
      missing = builtins.filter (name: !(args ? ${name})) names;
    in
    if missing == [ ] then args else throw "${builder}: missing ${toString missing}";
  overridable = name: derivation' name { } // { override = args: derivation' name args; };
in
rec {
  inherit lib;
  stdenv.hostPlatform = { inherit system; };
  bash = package "bash" { };
  runtimeShell = "${bash}/bin/bash";

  writeShellApplication =
    args:
    derivation' (require "writeShellApplication" [ "name" "text" ] args).name (
      args // { meta.mainProgram = args.name; }
    );
  runCommand = name: env: buildCommand: derivation' name (env // { inherit buildCommand; });
  writeText = name: text: derivation' name { inherit text; };
  writers.writePython3Bin =
    name: args: text:
    derivation' name (args // { inherit text; });
  linkFarm =
    name: entries:
    derivation' name {
      entries = map (require "linkFarm entry" [ "name" "path" ]) entries;
    };

  dockerTools = {
    buildLayeredImage =
      args:
      let
        image = derivation' "${(require "buildLayeredImage" [ "name" ] args).name}.tar" args;
      in
      # tag = null: dockerTools tags the image with the hash part of its store path (passthru.imageTag).
      image
      // {
        imageName = args.name;
        imageTag = builtins.substring 11 32 image.outPath;
      };
    caCertificates = package "ca-certificates" { };
    fakeNss = overridable "fakeNss";
  };

  # nixos/lib/testing: a NixOS VM test; its nodes are NixOS modules, which only a real nixpkgs evaluates.
  testers.runNixOSTest =
    test:
    derivation' "vm-test-run-${test.name}" {
      inherit (test) name;
      testScript = test.testScript or "";
    };
  k3s = package "k3s" { airgap-images = package "k3s-airgap-images" { }; };
  curl = package "curl" { };
  postgresql = package "postgresql" { version = "17.6"; };
  chromium = package "chromium" { meta.platforms = linux; };
  chromedriver = package "chromedriver" { meta.platforms = linux; };
  bashInteractive = package "bash-interactive" { };
  coreutils = package "coreutils" { };
  procps = package "procps" { };
  util-linux = package "util-linux" { };
  kind = package "kind" { };
  kubectl = package "kubectl" { };
  kubernetes-helm = package "helm" { };
  jq = package "jq" { };
  gnutar = package "gnutar" { };
  sqlx-cli = package "sqlx-cli" { };
  cargo-nextest = package "cargo-nextest" { };
  kubeconform = package "kubeconform" { };
  shellcheck = package "shellcheck" { };
  deadnix = package "deadnix" { };
  nixfmt-tree = package "nixfmt-tree" { };
  python3Packages.kubernetes-validate = package "kubernetes-validate" { };
}
