# Evaluated by scripts/check-nix (nix-instantiate --eval --strict, scratch store; prints true): flake.nix's
# `outputs`, called as Nix calls them with stand-in inputs (flake-call.nix), must take that call, evaluate down to
# the arguments of each (fake) derivation, and have the shape the flake promises: outputs per system, the apps on
# Macs.
let
  inherit (import ./flake-call.nix) flake inputs outputs standIns;
  check = message: condition: if condition then true else throw "flake-outputs: ${message}";
  names = builtins.attrNames;
  linux = [
    "aarch64-linux"
    "x86_64-linux"
  ];
  everywhere = [
    "aarch64-darwin"
    "aarch64-linux"
    "x86_64-darwin"
    "x86_64-linux"
  ];

  packages = outputs.packages.x86_64-linux;
  checks = outputs.checks.x86_64-linux;

  # The apps of a Mac, made as the flake must make them: from the Linux images of the same CPU.
  appsWith =
    host: linuxSystem:
    import ../apps.nix {
      pkgs = import standIns.nixpkgs { system = host; };
      images = outputs.packages.${linuxSystem}.images;
      imageTags = {
        backend = outputs.packages.${linuxSystem}.todo-backend-image.imageTag;
        frontend = outputs.packages.${linuxSystem}.todo-frontend-image.imageTag;
        postgres = outputs.packages.${linuxSystem}.todo-postgres-image.imageTag;
      };
      chart = ../../helm-chart;
    };
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
    (check "packages, checks and dev shells on Linux only" (
      map (output: names outputs.${output}) [
        "packages"
        "checks"
        "devShells"
      ] == [
        linux
        linux
        linux
      ]
    ))
    (check "apps and formatter on Linux and macOS" (
      names outputs.apps == everywhere && names outputs.formatter == everywhere
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
      ) everywhere
    ))
    (check "a Mac's apps deploy the Linux images of its CPU" (
      outputs.apps.aarch64-darwin == appsWith "aarch64-darwin" "aarch64-linux"
      && outputs.apps.x86_64-darwin == appsWith "x86_64-darwin" "x86_64-linux"
      && outputs.apps.aarch64-darwin != appsWith "aarch64-darwin" "x86_64-linux"
    ))
  ]
)
