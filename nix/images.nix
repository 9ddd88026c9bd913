# The three OCI images as uncompressed docker-archive tarballs (nixpkgs dockerTools.buildLayeredImage,
# doc/build-helpers/images/dockertools.section.md). What each image holds and its config (user, entrypoint,
# environment, ports, labels, stop signal) come from images.json, which scripts/rehearse reads too: the
# images it builds and runs in real containers cannot drift from these.
#
# `tag` is left null: dockerTools then tags each image with a hash of its inputs and exposes it as
# `passthru.imageTag`, so the same inputs give the same tag and digest (`created` stays at the 1970 default),
# and any change gives a new tag that Helm rolls out.
{
  pkgs,
  helpers,
  packages,
}:
let
  inherit (pkgs) dockerTools lib postgresql;
  inherit (packages.workspace) version repository;
  spec = builtins.fromJSON (builtins.readFile ./images.json);

  # Fills the templates of images.json: @name@, @description@, @version@, @source@, @postgresql@.
  fill =
    name: entry:
    let
      replace = values: builtins.replaceStrings (builtins.attrNames values) (builtins.attrValues values);
      common = {
        "@version@" = version;
        "@source@" = repository;
        "@postgresql@" = postgresql.version;
      };
    in
    replace (
      common
      // {
        "@name@" = name;
        "@description@" = replace common entry.description;
      }
    );

  # The Nix package behind each name images.json uses in `contents` and `runtimeInputs`.
  part =
    name: entry: key:
    {
      package = packages.${name};
      inherit postgresql;
      inherit (pkgs) coreutils;
      # bash is also /bin/sh, for the entrypoint and `kubectl exec`.
      bash = pkgs.bashInteractive;
      caCertificates = dockerTools.caCertificates;
      fakeNss = dockerTools.fakeNss.override {
        extraPasswdLines = entry.extraPasswdLines or [ ];
        extraGroupLines = entry.extraGroupLines or [ ];
      };
      # Same contract as the official image: PGDATA, POSTGRES_USER/PASSWORD/DB, initialise when empty.
      entrypoint = pkgs.writeShellApplication {
        inherit (entry.entrypoint) name;
        runtimeInputs = map (part name entry) entry.entrypoint.runtimeInputs;
        text = builtins.readFile (./. + "/${entry.entrypoint.script}");
      };
    }
    .${key};

  # Writable places owned by the image's user, for runs outside the chart (which mounts volumes there).
  directoryCommands = lib.concatMapStrings (dir: ''
    mkdir -p ${dir.path}
    chown ${dir.owner} ${dir.path}
    chmod ${dir.mode} ${dir.path}
  '');

  build =
    name: entry:
    dockerTools.buildLayeredImage (
      {
        inherit name;
        # kind's `load image-archive` wants a plain tar (older nodes cannot read gzip archives).
        compressor = "none";
        contents = map (part name entry) entry.contents;
        config = entry.config // {
          Labels = lib.mapAttrs (_: fill name entry) spec.labels;
        };
      }
      // lib.optionalAttrs (entry ? directories) {
        fakeRootCommands = directoryCommands entry.directories;
      }
    );

  images = lib.mapAttrs build spec.images;
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
