# Evaluated by scripts/check-nix: flake.lock is a version-7 lock, every input node carries a full commit rev, an
# SRI sha256 narHash and an integer lastModified (what `nix flake lock` writes), and the lock records exactly the
# inputs flake.nix declares, with the same URLs: otherwise Nix would try to re-lock (and fetch) on every command.
let
  lock = builtins.fromJSON (builtins.readFile ../flake.lock);
  flake = import ../flake.nix;
  inputs = builtins.removeAttrs lock.nodes [ lock.root ];
  rootInputs = lock.nodes.${lock.root}.inputs;
  complete =
    name:
    let
      l = inputs.${name}.locked or { };
    in
    l ? rev
    && builtins.match "[0-9a-f]{40}" l.rev != null
    && l ? narHash
    && builtins.match "sha256-[A-Za-z0-9+/]{43}=" l.narHash != null
    && l ? lastModified
    && builtins.isInt l.lastModified;
  incomplete = builtins.filter (name: !complete name) (builtins.attrNames inputs);

  # "github:owner/repo" or "github:owner/repo/ref", as the `original` of a lock node spells it.
  originalOf =
    url:
    let
      parts = builtins.match "github:([^/]+)/([^/]+)(/(.+))?" url;
      ref = builtins.elemAt parts 3;
    in
    if parts == null then
      throw "flake.nix: ${url} is not a github: URL"
    else
      {
        type = "github";
        owner = builtins.elemAt parts 0;
        repo = builtins.elemAt parts 1;
      }
      // (if ref == null then { } else { inherit ref; });
  urlOf = input: if builtins.isString input then input else input.url;
  mismatched = builtins.filter (
    name: inputs.${rootInputs.${name}}.original != originalOf (urlOf flake.inputs.${name})
  ) (builtins.attrNames flake.inputs);
  crane = inputs.${rootInputs.crane};
in
if lock.version != 7 then
  throw "flake.lock version ${toString lock.version}, expected 7"
else if incomplete != [ ] then
  throw "flake.lock: incompletely locked: ${toString incomplete}"
else if builtins.attrNames rootInputs != builtins.attrNames flake.inputs then
  throw "flake.lock locks ${toString (builtins.attrNames rootInputs)}, flake.nix declares ${toString (builtins.attrNames flake.inputs)}"
else if mismatched != [ ] then
  throw "flake.lock: the original of ${toString mismatched} differs from its URL in flake.nix"
else if builtins.match "v[0-9]+\\.[0-9]+\\.[0-9]+" (crane.original.ref or "") == null then
  throw "flake.nix: pin crane to a release tag (github:ipetkov/crane/vX.Y.Z), not a branch"
else if lock.nodes.${rootInputs.rust-overlay}.inputs.nixpkgs != [ "nixpkgs" ] then
  throw "flake.lock: rust-overlay must follow nixpkgs"
else
  builtins.attrNames inputs
