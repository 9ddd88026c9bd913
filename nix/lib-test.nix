# Evaluated by scripts/check-nix: `nix-instantiate --eval --strict nix/lib-test.nix` must print `true`.
# Each assertion names what it checks; a failure aborts the evaluation with that message.
let
  lib = import ./lib.nix;
  workspace = lib.workspacePackage ../Cargo.toml;
  standIn = name: {
    imageName = name;
    imageTag = "${name}-tag";
  };
  chartImages = lib.chartImageValues {
    backend = standIn "todo-backend";
    frontend = standIn "todo-frontend";
    postgres = standIn "todo-postgres";
  };
  check = message: condition: if condition then true else throw "lib-test: ${message}";
  fails = expression: !(builtins.tryEval expression).success;
in
builtins.all (x: x) [
  (check "musl target x86_64" (lib.muslTarget "x86_64-linux" == "x86_64-unknown-linux-musl"))
  (check "musl target aarch64" (lib.muslTarget "aarch64-linux" == "aarch64-unknown-linux-musl"))
  (check "no musl target for darwin" (fails (lib.muslTarget "aarch64-darwin")))
  (check "a Mac deploys the Linux images of its own CPU" (
    map lib.linuxSystemFor (lib.linuxSystems ++ lib.darwinSystems) == [
      "x86_64-linux"
      "aarch64-linux"
      "x86_64-linux"
      "aarch64-linux"
    ]
  ))
  (check "no kind node system for other hosts" (fails (lib.linuxSystemFor "x86_64-freebsd")))
  (check "workspace version is semver-like" (
    builtins.match "[0-9]+\\.[0-9]+\\.[0-9]+.*" workspace.version != null
  ))
  (check "workspace repository is a URL" (
    builtins.match "https://.*" workspace.repository != null
  ))
  (check "archive names" (
    map lib.archiveName [
      "todo-backend"
      "todo-frontend"
      "todo-postgres"
    ] == [
      "todo-backend.tar"
      "todo-frontend.tar"
      "todo-postgres.tar"
    ]
  ))
  (check "chart image values use the chart's keys" (
    builtins.attrNames chartImages == [
      "backend"
      "frontend"
      "postgresql"
    ]
  ))
  (check "chart image values carry each image's name and tag" (
    chartImages.postgresql.image == {
      repository = "todo-postgres";
      tag = "todo-postgres-tag";
    }
    && chartImages.backend.image.tag == "todo-backend-tag"
  ))
  (check "containerd reference of an image" (
    lib.containerdReference (standIn "todo-frontend") == "docker.io/library/todo-frontend:todo-frontend-tag"
  ))
]
