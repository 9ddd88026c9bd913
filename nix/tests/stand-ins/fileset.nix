# STAND-IN for nixpkgs' lib.fileset (lib/fileset/default.nix): a fileset is a list of entries { path; predicate? }.
# It raises the errors the real one raises for a path that does not exist and for files outside `root`; it does
# not list files (that needs the real lib, see docs/nix.md), and toSource names a store path by the entries.
let
  entriesOf =
    context: value:
    if builtins.isPath value then
      if builtins.pathExists value then
        [ { path = value; } ]
      else
        throw "lib.fileset.${context}: ${toString value} is a path that does not exist."
    else if value._type or null == "fileset" then
      value._entries
    else
      throw "lib.fileset.${context}: expected a path or a fileset, got ${builtins.typeOf value}.";
  fileset = entries: {
    _type = "fileset";
    _entries = entries;
  };
  isUnder = root: path: builtins.substring 0 (builtins.stringLength (toString root) + 1) "${toString path}/" == "${toString root}/";
in
{
  unions = list: fileset (builtins.concatLists (map (entriesOf "unions") list));
  maybeMissing = path: fileset (if builtins.pathExists path then [ { inherit path; } ] else [ ]);
  difference =
    positive: negative:
    fileset (
      map (entry: entry // { excluded = map (e: e.path) (entriesOf "difference" negative); }) (
        entriesOf "difference" positive
      )
    );
  fileFilter =
    predicate: path:
    fileset (
      map (entry: entry // { inherit predicate; }) (entriesOf "fileFilter" path)
    );
  toSource =
    { root, fileset }:
    let
      entries = entriesOf "toSource" fileset;
      outside = builtins.filter (entry: !isUnder root entry.path) entries;
      id = builtins.hashString "sha256" (builtins.toJSON (map (entry: toString entry.path) entries));
    in
    if outside != [ ] then
      throw "lib.fileset.toSource: `fileset` could contain files in ${toString (builtins.head outside).path}, which is not under the `root` (${toString root})."
    else
      {
        outPath = "/nix/store/${builtins.substring 0 32 id}-source";
        # For the tests: which paths (relative to root) the source was made of.
        paths = map (
          entry: builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString entry.path)
        ) entries;
      };
}
