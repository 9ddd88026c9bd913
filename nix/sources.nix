# The source set of each Nix package, in the pattern of crane's examples/quick-start-workspace (fileSetForCrate):
# a file a package does not need is left out of its source, so changing it does not rebuild that package.
#
# cargo loads every workspace member before it builds one (`-p`), and the members `backend` and `frontend` are
# listed by name in Cargo.toml (crane's example needs wildcard members to leave a crate out), so each set holds
# every crate's Rust and Cargo files. What sets them apart is what the crates embed at compile time: the backend
# its migrations and sqlx offline data, the frontend its templates and static files. A template, CSS or JS change
# rebuilds only the frontend, a migration or query only the backend; a Rust change rebuilds both.
{
  lib,
  # The repository root, as a path.
  root,
  # crane's `fileset.commonCargoSources`: *.rs, *.toml, Cargo.lock and .cargo/config.toml below a path.
  commonCargoSources,
}:
let
  inherit (lib) fileset;
  cargoFiles = commonCargoSources root;
  withCargoFiles =
    files:
    fileset.toSource {
      inherit root;
      fileset = fileset.unions ([ cargoFiles ] ++ files);
    };
  embeddedBy = {
    todo-backend = [
      (root + "/backend/migrations")
      (root + "/backend/.sqlx")
    ];
    todo-frontend = [
      (root + "/frontend/templates")
      (root + "/frontend/static")
    ];
  };
in
{
  todo-backend = withCargoFiles embeddedBy.todo-backend;
  todo-frontend = withCargoFiles embeddedBy.todo-frontend;
  # The checks build and test everything, and tests read files anywhere in the crates (crane
  # docs/faq/missing-files-during-checks.md), so theirs is every crate directory whole.
  workspace = withCargoFiles [
    (root + "/backend")
    (root + "/frontend")
    (fileset.maybeMissing (root + "/crates"))
  ];
}
