# `nix run .#deploy-kind` and `nix run .#kind-down`: nix/deploy-kind.sh and nix/kind-down.sh, run as they are
# from a store copy of themselves and the step files they source (nix/kind/), with their tools on PATH. A short
# wrapper hands them this build's image archives, tags and chart, so they work from any directory; nix/tests
# runs the same files with stub tools.
{
  pkgs,
  # linkFarm with todo-backend.tar, todo-frontend.tar, todo-postgres.tar (uncompressed docker-archives). Linux
  # images, also when the apps run on a Mac (its Docker Desktop or podman machine runs Linux kind nodes).
  images,
  # { backend, frontend, postgres }: the tags inside those archives.
  imageTags,
  # The helm-chart directory in the store.
  chart,
}:
let
  shellQuote = s: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  exports =
    env:
    builtins.concatStringsSep "" (
      map (name: "export ${name}=${shellQuote env.${name}}\n") (builtins.attrNames env)
    );

  # Only the scripts and their step files, so a change to a test or a .nix file does not rebuild the apps.
  here = toString ./.;
  relative = path: builtins.substring (builtins.stringLength here + 1) (-1) (toString path);
  isUnder = dir: path: builtins.substring 0 (builtins.stringLength dir + 1) (relative path) == "${dir}/";
  scripts = builtins.path {
    name = "todo-chatbot-kind-scripts";
    path = ./.;
    filter =
      path: type:
      builtins.elem (relative path) [
        "deploy-kind.sh"
        "kind-down.sh"
        "kind"
      ]
      || (isUnder "kind" path && (type == "directory" || builtins.match ".*\\.sh" (toString path) != null));
  };

  app = name: description: env: {
    type = "app";
    program = "${
      pkgs.writeShellApplication {
        inherit name;
        runtimeInputs = [
          pkgs.kind
          pkgs.kubectl
          pkgs.kubernetes-helm
          pkgs.jq
          pkgs.gnutar
          pkgs.coreutils
        ];
        text = exports env + ''
          exec ${pkgs.runtimeShell} ${scripts}/${name}.sh "$@"
        '';
      }
    }/bin/${name}";
    meta = { inherit description; };
  };
in
{
  deploy-kind = app "deploy-kind" "Deploy this build to a local kind cluster (http://localhost:8080)" {
    TODO_IMAGES_DIR = "${images}";
    TODO_CHART_DIR = "${chart}";
    TODO_BACKEND_TAG = imageTags.backend;
    TODO_FRONTEND_TAG = imageTags.frontend;
    TODO_POSTGRES_TAG = imageTags.postgres;
  };
  kind-down = app "kind-down" "Delete the kind cluster (or, with --release-only, just the Helm release)" { };
}
