using System.Security.Cryptography;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Linux;

namespace Carpd.Configuration;

/// <summary>
/// ucarp's <c>--passfile</c>: the key is the first line of a private file, without its line end, read
/// from the file's bytes straight into the key; the buffer is zeroed afterwards.
/// </summary>
internal static class PassFileReader
{
    public const int MaxPassFileBytes = 64 * 1024;

    /// <param name="path">The passfile's full path.</param>
    /// <param name="fileName">The configuration file that names it, and <paramref name="line"/> the line, for errors and warnings.</param>
    /// <param name="name">The interface, for errors.</param>
    public static CarpKey Read(string path, string fileName, int line, List<string> warnings, string name)
    {
        var bytes = ReadPrivateFile(path, fileName, line, name);
        try
        {
            var length = bytes.AsSpan().IndexOf((byte)'\n');
            if (length < 0)
            {
                length = bytes.Length;
            }

            if (length > 0 && bytes[length - 1] == '\r')
            {
                length--;
            }

            if (length == 0)
            {
                throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{name}: passfile {path} has an empty first line.",
                    "Write the pass on the first line of the file.");
            }

            if (length > CarpKey.MaxPassphraseBytes)
            {
                warnings.Add($"{fileName}:{line}: the pass in {path} is longer than {CarpKey.MaxPassphraseBytes} bytes; " +
                    $"only the first {CarpKey.MaxPassphraseBytes} are used, as ifconfig does.");
                length = CarpKey.MaxPassphraseBytes;
            }

            return CarpKey.FromRawKey(bytes.AsSpan(0, length));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static byte[] ReadPrivateFile(string path, string fileName, int line, string name)
    {
        var what = $"{name}: passfile {path}";
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var status = UnixFile.GetStatus(handle);
            if (status.Kind != UnixFileKind.Regular)
            {
                throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{what} is not a regular file.", "Name a file holding the pass on its first line.");
            }

            TrustedFile.CheckTrusted(path, status, fileName, line, what);
            if (status.IsGroupOrWorldReadable || status.IsGroupOrWorldWritable)
            {
                throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted,
                    $"{what} can be read or written by other users (mode {TrustedFile.Octal(status.Mode)}).", $"Make it private: chmod 600 {path}");
            }

            return TrustedFile.ReadBytes(handle, fileName, line, MaxPassFileBytes, what);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{what} does not exist.",
                $"Write the pass on its first line and make it private: chmod 600 {path}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.NotPermitted, $"{what} cannot be read by this user.", CarpdAdvice.For(CarpErrorCode.NotPermitted), ex);
        }
        catch (IOException ex)
        {
            throw new CarpdConfigurationException(fileName, line, CarpErrorCode.InvalidPass, $"{what} cannot be read: {ex.Message}", "Check the path.", ex);
        }
    }
}
