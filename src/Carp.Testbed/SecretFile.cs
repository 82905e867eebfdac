namespace Carp.Testbed;

/// <summary>Files that hold a CARP pass: created owner-only (0600) from the first byte, never widened later.</summary>
public static class SecretFile
{
    public static string Write(string path, string content)
    {
        File.Delete(path);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        return path;
    }
}
