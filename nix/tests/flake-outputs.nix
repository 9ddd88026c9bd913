# Evaluated by scripts/check-nix (nix-instantiate --eval --strict, scratch store; prints true): flake.nix's
# `outputs`, called as Nix calls them with stand-in inputs (flake-call.nix), must take that call, evaluate down to
# the arguments of each (fake) derivation, and have the shape the flake promises: outputs per system, the apps on
# Macs, one source set and one dependency-artifact set per package.
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
  backend = packages.todo-backend.drvAttrs;
  frontend = packages.todo-frontend.drvAttrs;
  checks = outputs.checks.x86_64-linux;
  hostChecks = map (name: checks.${name}.drvAttrs) [
    "clippy"
    "doc"
    "doctest"
    "nextest"
  ];
  sameCargoRun =
    a: b: a.cargoExtraArgs == b.cargoExtraArgs && a.src == b.src && (a.CARGO_BUILD_TARGET or null) == (b.CARGO_BUILD_TARGET or null);
  hasPath = drvAttrs: path: builtins.elem path drvAttrs.src.paths;

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
        "doctest"
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
    (check "each package has its own source" (backend.src != frontend.src))
    (check "the backend's source holds its migrations and sqlx data, not the frontend's templates or static files" (
      hasPath backend "backend/migrations"
      && hasPath backend "backend/.sqlx"
      && !hasPath backend "frontend/static"
      && !hasPath backend "frontend/templates"
    ))
    (check "the frontend's source holds its templates and static files, not the backend's migrations" (
      hasPath frontend "frontend/static"
      && hasPath frontend "frontend/templates"
      && !hasPath frontend "backend/migrations"
      && !hasPath frontend "backend/.sqlx"
    ))
    (check "each package's dependencies are built with its own cargo arguments and source" (
      sameCargoRun backend backend.cargoArtifacts.drvAttrs
      && sameCargoRun frontend frontend.cargoArtifacts.drvAttrs
      && backend.cargoArtifacts != frontend.cargoArtifacts
      && backend.cargoExtraArgs == "--locked -p todo-backend"
      && frontend.cargoExtraArgs == "--locked -p todo-frontend"
    ))
    (check "the checks share one dependency set built with their own cargo arguments" (
      builtins.all (c: sameCargoRun c c.cargoArtifacts.drvAttrs && c.cargoArtifacts == checks.clippy.drvAttrs.cargoArtifacts) hostChecks
    ))
    (check "the checks run the browser tests" (
      builtins.all (c: builtins.match ".*--features todo-frontend/browser-tests.*" c.cargoExtraArgs != null) hostChecks
    ))
  ]
)
