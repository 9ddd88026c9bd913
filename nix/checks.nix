# `nix flake check`: the gate of scripts/test, run from the flake's own inputs (crane's cargoClippy,
# cargoFmt, cargoDoc, cargoNextest per docs/API.md), plus the images and the Nix lints.
{
  pkgs,
  packages,
  images,
}:
let
  inherit (pkgs) lib;
  inherit (packages) craneLib checkArgs cargoArtifacts;
  root = ../.;

  sourceOf =
    files:
    lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions files;
    };

  # What scripts/test shellchecks: the scripts, the image entrypoint, the deploy apps and their step files.
  scripts = sourceOf [
    ../scripts
    ../.ci/run
    (lib.fileset.fileFilter (file: file.hasExt "sh") ../nix)
  ];
  nixFiles = sourceOf [
    ../flake.nix
    (lib.fileset.fileFilter (file: file.hasExt "nix") ../nix)
  ];
  chartSrc = sourceOf [ ../helm-chart ];

  # The value sets the chart tests render (default, kind, k3s, external database, autoscaling); a set
  # of several files is separated by commas and applied in order, as Helm applies repeated --values.
  chartValueSets = [
    ""
    "values-kind.yaml"
    "values-kind.yaml,values-k3s.yaml"
    "values-external-db.yaml"
    "tests/values/autoscaling.yaml"
  ];
  helmArgs = "--namespace todo --kube-version 1.30.0";
in
{
  clippy = craneLib.cargoClippy (
    checkArgs
    // {
      inherit cargoArtifacts;
      cargoClippyExtraArgs = "--all-targets -- --deny warnings";
    }
  );

  fmt = craneLib.cargoFmt { inherit (checkArgs) src pname version; };

  doc = craneLib.cargoDoc (
    checkArgs
    // {
      inherit cargoArtifacts;
      env.RUSTDOCFLAGS = "--deny warnings";
    }
  );

  # Every Rust test, browser tests included, against a PostgreSQL started in the check (crane
  # examples/end-to-end-testing): `#[sqlx::test]` creates a database per test through DATABASE_URL, and the
  # readiness test starts and stops a cluster of its own from PG_BINDIR. The sandbox's loopback is private to
  # the build. initdb and postgres refuse root, which the build is when the sandbox is off in a single-user
  # install run as root: then the server runs as the `postgres` user, as scripts/lib/pg.sh and the tests' own
  # clusters do; unlike pg.sh, a build does not add users to its host, so it stops and says so.
  nextest = craneLib.cargoNextest (
    checkArgs
    // {
      inherit cargoArtifacts;
      nativeBuildInputs = [
        pkgs.postgresql
        # `kill -s TERM` in the shutdown test; runuser for the server when the build runs as root.
        pkgs.procps
        pkgs.util-linux
        # The frontend's browser tests drive headless Chromium through chromedriver.
        pkgs.chromium
        pkgs.chromedriver
      ];
      preCheck = ''
        export HOME="$TMPDIR"
        pgdir="$TMPDIR/postgres"
        mkdir -p "$pgdir"
        as_owner=()
        if [ "$(id -u)" -eq 0 ]; then
          if ! id postgres >/dev/null 2>&1; then
            echo "nextest check: running as root (sandbox off), and PostgreSQL refuses root; create a postgres" \
              "system user on this host (useradd --system postgres) or build with the sandbox on" >&2
            exit 1
          fi
          chmod 755 "$TMPDIR"
          chown postgres "$pgdir"
          as_owner=(runuser -u postgres --)
        fi
        "''${as_owner[@]}" initdb -D "$pgdir/data" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
        "''${as_owner[@]}" pg_ctl -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
          -o "-p 5432 -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
        export PG_BINDIR="${lib.getBin pkgs.postgresql}/bin"
      '';
      postCheck = ''
        "''${as_owner[@]}" pg_ctl -D "$pgdir/data" -m fast -w stop
      '';
      cargoNextestExtraArgs = "--no-tests=fail";
    }
  );

  # nextest does not run doc tests (crane docs/API.md, cargoNextest); scripts/test runs `cargo test --doc` too.
  doctest = craneLib.cargoDocTest (checkArgs // { inherit cargoArtifacts; });

  # The chart as scripts/test checks it: Helm's own lint and render, then every manifest strictly
  # against the Kubernetes 1.30 schemas that nixpkgs' kubernetes-validate ships (kubeconform, in the
  # dev shell, would download its schemas, which the build sandbox cannot).
  chart =
    pkgs.runCommand "todo-chatbot-chart-check"
      {
        nativeBuildInputs = [
          pkgs.kubernetes-helm
          pkgs.python3Packages.kubernetes-validate
        ];
      }
      ''
        export HOME=$TMPDIR
        cp -r ${chartSrc}/helm-chart chart
        for values in ${lib.escapeShellArgs chartValueSets}; do
          args=()
          IFS=, read -ra files <<<"$values"
          for file in "''${files[@]}"; do args+=(--values "chart/$file"); done
          helm lint --strict chart ${helmArgs} "''${args[@]}"
          helm template todo chart ${helmArgs} "''${args[@]}" >rendered.yaml
          kubernetes-validate --strict --kubernetes-version 1.30.0 --quiet rendered.yaml
        done
        touch $out
      '';

  shellcheck = pkgs.runCommand "todo-chatbot-shellcheck" { nativeBuildInputs = [ pkgs.shellcheck ]; } ''
    cd ${scripts}
    shellcheck -x scripts/test scripts/dev scripts/bench scripts/llm-server scripts/openapi-conformance \
      scripts/check-nix scripts/rehearse scripts/lint-workflows scripts/lib/*.sh .ci/run nix/postgres-entrypoint.sh
    # The deploy apps with every step file they source, checked in the context of the script that sources them.
    shellcheck -x --check-sourced nix/deploy-kind.sh nix/kind-down.sh
    touch $out
  '';

  deadnix = pkgs.runCommand "todo-chatbot-deadnix" { nativeBuildInputs = [ pkgs.deadnix ]; } ''
    deadnix --fail ${nixFiles}
    touch $out
  '';

  images = images.all;

  # The release on k3s in NixOS VMs (needs KVM): nix/k3s/default.nix.
  inherit (import ./k3s { inherit pkgs images; }) k3s k3s-two-node;
}
