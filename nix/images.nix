# The three OCI images as uncompressed docker-archive tarballs (nixpkgs dockerTools.buildLayeredImage,
# doc/build-helpers/images/dockertools.section.md). `tag` is left null: dockerTools then tags each image
# with a hash of its inputs and exposes it as `passthru.imageTag`, so the same inputs give the same tag
# and digest (`created` stays at the 1970 default), and any change gives a new tag that Helm rolls out.
{
  pkgs,
  helpers,
  packages,
}:
let
  inherit (pkgs) dockerTools lib;
  inherit (packages.workspace) version repository;

  labels =
    title: description:
    helpers.ociLabels {
      inherit title description version;
      source = repository;
    };

  appImage =
    {
      name,
      port,
      description,
    }:
    dockerTools.buildLayeredImage {
      inherit name;
      # kind's `load image-archive` wants a plain tar (older nodes cannot read gzip archives).
      compressor = "none";
      contents = [
        packages.${name}
        dockerTools.caCertificates
        dockerTools.fakeNss
      ];
      config = helpers.appImageConfig {
        binary = name;
        inherit port;
        labels = labels name description;
      };
    };

  postgresql = pkgs.postgresql;
  uid = toString helpers.postgresUid;

  # Same contract as the official image: PGDATA, POSTGRES_USER/PASSWORD/DB, initialise when empty.
  entrypoint = pkgs.writeShellApplication {
    name = "todo-postgres-entrypoint";
    runtimeInputs = [
      postgresql
      pkgs.coreutils
    ];
    text = builtins.readFile ./postgres-entrypoint.sh;
  };

  images = {
    todo-backend = appImage {
      name = "todo-backend";
      port = 8000;
      description = "Todo AI Chatbot backend: accounts, tasks and chat API";
    };
    todo-frontend = appImage {
      name = "todo-frontend";
      port = 3000;
      description = "Todo AI Chatbot frontend: the htmx UI";
    };
    todo-postgres = dockerTools.buildLayeredImage {
      name = "todo-postgres";
      compressor = "none";
      # bash (also /bin/sh) and coreutils for the entrypoint and `kubectl exec`; pg_isready for the probes.
      contents = [
        postgresql
        entrypoint
        pkgs.bashInteractive
        pkgs.coreutils
        (dockerTools.fakeNss.override {
          extraPasswdLines = [ helpers.postgresPasswdLine ];
          extraGroupLines = [ helpers.postgresGroupLine ];
        })
      ];
      # Writable places when run outside the chart (which mounts emptyDirs on /run/postgresql and /tmp).
      fakeRootCommands = ''
        mkdir -p run/postgresql var/lib/postgresql/data tmp
        chown ${uid}:${uid} run/postgresql var/lib/postgresql var/lib/postgresql/data
        chmod 0775 run/postgresql
        chmod 1777 tmp
      '';
      config = {
        Entrypoint = [ (lib.getExe entrypoint) ];
        User = "${uid}:${uid}";
        ExposedPorts = {
          "5432/tcp" = { };
        };
        Env = [
          "PATH=/bin"
          "PGDATA=/var/lib/postgresql/data/pgdata"
        ];
        # PostgreSQL's "fast" shutdown: clients are disconnected, data is checkpointed.
        StopSignal = "SIGINT";
        Labels = labels "todo-postgres" "PostgreSQL ${postgresql.version} for the Todo AI Chatbot";
      };
    };
  };
in
images
// {
  # Exactly the tags inside the archives, for `helm --set <component>.image.tag=…`.
  imageTags = {
    backend = images.todo-backend.imageTag;
    frontend = images.todo-frontend.imageTag;
    postgres = images.todo-postgres.imageTag;
  };

  # result/todo-backend.tar, result/todo-frontend.tar, result/todo-postgres.tar
  all = pkgs.linkFarm "todo-chatbot-images" (
    lib.mapAttrsToList (name: path: {
      name = helpers.archiveName name;
      inherit path;
    }) images
  );
}
