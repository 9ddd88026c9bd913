# `nix run .#deploy-kind` and `nix run .#kind-down`: nix/deploy-kind.sh and nix/kind-down.sh with their tools.
# The scripts stay plain files (shellchecked and tested as they are); the prelude below hands them this build's
# image archives, tags and chart, so they work from any directory.
{
  pkgs,
  # linkFarm with todo-backend.tar, todo-frontend.tar, todo-postgres.tar (uncompressed docker-archives).
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
  # writeShellApplication writes its own shebang and `set -o` lines; drop the file's shebang.
  body =
    file:
    let
      text = builtins.readFile file;
      shebang = "#!/usr/bin/env bash\n";
      n = builtins.stringLength shebang;
    in
    if builtins.substring 0 n text == shebang then
      builtins.substring n (builtins.stringLength text - n) text
    else
      text;
  app = name: description: text: {
    type = "app";
    program = "${
      pkgs.writeShellApplication {
        inherit name text;
        runtimeInputs = [
          pkgs.kind
          pkgs.kubectl
          pkgs.kubernetes-helm
          pkgs.jq
          pkgs.gnutar
          pkgs.coreutils
        ];
      }
    }/bin/${name}";
    meta = { inherit description; };
  };
in
{
  deploy-kind = app "deploy-kind" "Deploy this build to a local kind cluster (http://localhost:8080)" (
    exports {
      TODO_IMAGES_DIR = "${images}";
      TODO_CHART_DIR = "${chart}";
      TODO_BACKEND_TAG = imageTags.backend;
      TODO_FRONTEND_TAG = imageTags.frontend;
      TODO_POSTGRES_TAG = imageTags.postgres;
    }
    + body ./deploy-kind.sh
  );
  kind-down = app "kind-down" "Delete the kind cluster (or, with --release-only, just the Helm release)" (
    body ./kind-down.sh
  );
}
