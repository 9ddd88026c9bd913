# The two service binaries, built with crane (ipetkov/crane v0.23.4: examples/quick-start-workspace and
# examples/cross-musl), and the arguments and dependency artifacts the checks build on.
#
# Two cargo targets: the host target for the checks (clippy, nextest, doc), and a static musl target for the
# packages, so an image holds one self-contained binary instead of glibc's ~30 MB closure.
#
# Every derivation builds on dependency artifacts made with exactly its own cargo arguments: cargo resolves the
# features of the dependencies from the packages it is asked to build, so artifacts made for the whole workspace
# and then reused by a `-p` build have other feature sets and get about 40 crates rebuilt (crane
# docs/faq/constant-rebuilds.md, and the warning in examples/quick-start-workspace). So each package has its own
# source set (sources.nix) and its own `buildDepsOnly` with its own `-p`, and the checks share one set made
# with theirs.
{
  pkgs,
  crane,
  helpers,
}:
let
  inherit (pkgs) lib;
  system = pkgs.stdenv.hostPlatform.system;
  target = helpers.muslTarget system;
  workspace = helpers.workspacePackage ../Cargo.toml;

  # The rust-overlay toolchain carries the musl standard library the static build links against.
  # Pinned to the rustc that scripts/test runs with, so clippy's verdict is the same in both gates.
  craneLib = (crane.mkLib pkgs).overrideToolchain (
    p: p.rust-bin.stable."1.95.0".default.override { targets = [ target ]; }
  );

  sources = import ./sources.nix {
    inherit lib;
    root = ../.;
    inherit (craneLib.fileset) commonCargoSources;
  };

  commonArgs = {
    inherit (workspace) version;
    strictDeps = true;
    # sqlx checks its queries against backend/.sqlx; the build never needs a database.
    SQLX_OFFLINE = "true";
  };

  # The checks' arguments: the whole workspace, every target, and the feature that turns on the frontend's
  # headless-Chromium tests (the checks have Chromium), as scripts/test runs them.
  checkArgs = commonArgs // {
    pname = "todo-chatbot";
    src = sources.workspace;
    cargoExtraArgs = "--locked --workspace --features todo-frontend/browser-tests";
  };
  # Host-target dependencies (check, build and test profiles), reused by every check.
  cargoArtifacts = craneLib.buildDepsOnly checkArgs;

  staticArgs =
    name:
    commonArgs
    // {
      pname = name;
      src = sources.${name};
      cargoExtraArgs = "--locked -p ${name}";
      CARGO_BUILD_TARGET = target;
      CARGO_BUILD_RUSTFLAGS = "-C target-feature=+crt-static";
      # ring compiles a little C with the stdenv compiler; glibc-only _FORTIFY_SOURCE symbols
      # (__memcpy_chk, ...) must not end up in a binary linked against musl.
      hardeningDisable = [ "fortify" ];
      doCheck = false;
    };

  service =
    name:
    let
      args = staticArgs name;
    in
    craneLib.buildPackage (
      args
      // {
        cargoArtifacts = craneLib.buildDepsOnly args;
        meta.mainProgram = name;
      }
    );
in
{
  inherit
    craneLib
    sources
    checkArgs
    cargoArtifacts
    workspace
    ;
  todo-backend = service "todo-backend";
  todo-frontend = service "todo-frontend";
}
