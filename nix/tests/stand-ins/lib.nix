# STAND-IN for the parts of nixpkgs' lib that flake.nix and nix/*.nix use (lib/attrsets.nix, lists.nix,
# strings.nix, meta.nix, customisation.nix, and fileset.nix here), written with builtins only: the real lib
# cannot be fetched where scripts/check-nix runs.
rec {
  genAttrs =
    names: f:
    builtins.listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) names
    );
  inherit (builtins) mapAttrs;
  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (builtins.attrNames attrs);
  optionals = condition: list: if condition then list else [ ];
  optionalAttrs = condition: attrs: if condition then attrs else { };
  optionalString = condition: string: if condition then string else "";
  concatMapStrings = f: list: builtins.concatStringsSep "" (map f list);
  escapeShellArg = arg: "'" + builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg) + "'";
  escapeShellArgs = args: builtins.concatStringsSep " " (map escapeShellArg args);
  # The real getExe needs meta.mainProgram (it warns and guesses without one); the stand-in insists.
  getExe =
    drv:
    "${drv}/bin/${drv.meta.mainProgram or (throw "lib.getExe: ${drv.name} has no meta.mainProgram")}";
  getBin = drv: drv.bin or drv;
  # lib/modules.nix: mkForce = mkOverride 50.
  mkForce = content: {
    _type = "override";
    priority = 50;
    inherit content;
  };
  meta.availableOn =
    platform: pkg: builtins.elem platform.system (pkg.meta.platforms or [ platform.system ]);
  fileset = import ./fileset.nix;
}
