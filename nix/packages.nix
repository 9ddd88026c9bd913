# The two service binaries, built with crane (ipetkov/crane examples/quick-start-workspace and
# examples/cross-musl): one filtered source for the whole workspace, dependencies built once per target.
#
# Two cargo targets share that source: the host target for the checks (clippy, nextest, doc), and a
# static musl target for the packages, so an image holds one self-contained binary instead of glibc's
# ~30 MB closure.
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

  root = ../.;
  # crane's commonCargoSources keeps *.rs, *.toml (so .cargo/config.toml) and Cargo.lock; the rest is
  # what the crates embed or check at compile time. frontend/ may not exist yet in every checkout.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (craneLib.fileset.commonCargoSources root)
      ../backend/migrations
      ../backend/.sqlx
      (lib.fileset.maybeMissing ../frontend/templates)
      (lib.fileset.maybeMissing ../frontend/static)
    ];
  };

  commonArgs = {
    inherit src;
    inherit (workspace) version;
    pname = "todo-chatbot";
    strictDeps = true;
    # sqlx checks its queries against backend/.sqlx; the build never needs a database.
    SQLX_OFFLINE = "true";
  };

  # Host-target dependencies (check, build and test profiles), reused by every check.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;

  staticArgs = commonArgs // {
    CARGO_BUILD_TARGET = target;
    CARGO_BUILD_RUSTFLAGS = "-C target-feature=+crt-static";
    # ring compiles a little C with the stdenv compiler; glibc-only _FORTIFY_SOURCE symbols
    # (__memcpy_chk, ...) must not end up in a binary linked against musl.
    hardeningDisable = [ "fortify" ];
    doCheck = false;
  };
  staticArtifacts = craneLib.buildDepsOnly staticArgs;

  service =
    name:
    craneLib.buildPackage (
      staticArgs
      // {
        pname = name;
        cargoArtifacts = staticArtifacts;
        cargoExtraArgs = "--locked -p ${name}";
        meta.mainProgram = name;
      }
    );
in
{
  inherit
    craneLib
    src
    commonArgs
    cargoArtifacts
    workspace
    ;
  todo-backend = service "todo-backend";
  todo-frontend = service "todo-frontend";
}
