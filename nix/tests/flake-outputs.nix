# Evaluated by scripts/check-nix (nix-instantiate --eval --strict, scratch store; prints true): flake.nix's
# `outputs`, called as Nix calls them with stand-in inputs (flake-call.nix), must take that call, evaluate down to
# the arguments of each (fake) derivation, and have the shape the flake promises: outputs per system.
let
  inherit (import ./flake-call.nix) flake inputs outputs;
  check = message: condition: if condition then true else throw "flake-outputs: ${message}";
  names = builtins.attrNames;
  linux = [
    "aarch64-linux"
    "x86_64-linux"
  ];

  packages = outputs.packages.x86_64-linux;
  checks = outputs.checks.x86_64-linux;
in
builtins.deepSeq outputs (
  builtins.all (x: x) [
    (check "inputs of flake.nix and flake.lock" (names flake.inputs == names inputs))
    (check "outputs" (
      names outputs == [
        "apps"
        "checks"
        "devShells"
        "formatter"
        "packages"
      ]
    ))
    (check "every output on the Linux systems" (
      builtins.all (output: names outputs.${output} == linux) (names outputs)
    ))
    (check "packages" (
      names packages == [
        "default"
        "images"
        "todo-backend"
        "todo-backend-image"
        "todo-frontend"
        "todo-frontend-image"
        "todo-postgres-image"
      ]
    ))
    (check "checks" (
      names checks == [
        "chart"
        "clippy"
        "deadnix"
        "doc"
        "fmt"
        "images"
        "k3s"
        "k3s-two-node"
        "nextest"
        "shellcheck"
      ]
    ))
    (check "apps" (
      builtins.all (
        system:
        names outputs.apps.${system} == [
          "deploy-kind"
          "kind-down"
        ]
        && builtins.all (app: app.type == "app" && builtins.match "/nix/store/.*/bin/.*" app.program != null) (
          builtins.attrValues outputs.apps.${system}
        )
      ) linux
    ))
  ]
)
