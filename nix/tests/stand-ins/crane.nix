# STAND-IN for the crane flake at v0.23.4 (`crane.mkLib pkgs`, docs/API.md): each builder returns a fake
# derivation of stand-ins/pkgs.nix recording its arguments, after checking the ones crane requires.
{
  mkLib =
    pkgs:
    let
      inherit (pkgs) lib;
      craneLib = toolchain: rec {
        overrideToolchain = f: craneLib (f pkgs);
        fileset.commonCargoSources = lib.fileset.fileFilter (
          file: file.hasExt "rs" || file.hasExt "toml" || file.name == "Cargo.lock"
        );
        cargoDerivation =
          suffix: required: args:
          let
            missing = builtins.filter (name: !(args ? ${name})) required;
          in
          if missing != [ ] then
            throw "crane: ${suffix} needs ${toString missing}"
          else
            pkgs.runCommand "${args.pname}${suffix}-${args.version}" (args // { inherit toolchain; }) "";
        # src (or dummySrc) is what the dependencies are read from.
        buildDepsOnly = cargoDerivation "-deps" [ "src" "pname" "version" ];
        buildPackage = cargoDerivation "" [ "src" "pname" "version" ];
        cargoClippy = cargoDerivation "-clippy" [ "src" "pname" "version" "cargoArtifacts" ];
        cargoDoc = cargoDerivation "-doc" [ "src" "pname" "version" "cargoArtifacts" ];
        cargoNextest = cargoDerivation "-nextest" [ "src" "pname" "version" "cargoArtifacts" ];
        cargoDocTest = cargoDerivation "-doctest" [ "src" "pname" "version" ];
        cargoFmt = cargoDerivation "-fmt" [ "src" "pname" "version" ];
        devShell = args: pkgs.runCommand "nix-shell" args "";
      };
    in
    craneLib null;
}
