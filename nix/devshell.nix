# `nix develop`: the toolchain of the checks (rust-overlay stable with the musl target, crane's devShell
# adds cargo/rustc/clippy/rustfmt from it) and every tool the scripts, the chart and the deploy app use.
{
  pkgs,
  packages,
}:
let
  inherit (pkgs) lib;
in
packages.craneLib.devShell {
  packages = [
    pkgs.sqlx-cli
    pkgs.cargo-nextest
    pkgs.postgresql
    pkgs.kind
    pkgs.kubectl
    pkgs.kubernetes-helm
    pkgs.kubeconform
    pkgs.shellcheck
    pkgs.deadnix
    pkgs.nixfmt-tree
  ]
  # The browser tests' Chromium is built for Linux only.
  ++ lib.optionals (lib.meta.availableOn pkgs.stdenv.hostPlatform pkgs.chromium) [
    pkgs.chromium
    pkgs.chromedriver
  ];

  SQLX_OFFLINE = "true";
}
