using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using Carp.Engine.Protocol;

namespace CarpPS;

/// <summary>
/// Lets <c>-Pass</c> take a plain string as ifconfig's <c>pass</c> does, besides a SecureString. The
/// string becomes a read-only SecureString at once; PowerShell still holds the literal the user typed.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class CarpPassTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            SecureString secure => secure,
            string text => ToSecureString(text),
            PSCredential credential => credential.Password,
            _ => throw new ArgumentTransformationMetadataException(
                "The pass must be a SecureString (Read-Host -AsSecureString) or a string."),
        };
    }

    private static SecureString ToSecureString(string text)
    {
        var secure = new SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}

/// <summary>SecureString → <see cref="CarpKey"/> with ifconfig's semantics; every plain copy is zeroed before returning.</summary>
internal static class CarpPass
{
    /// <summary>Converts the pass; <paramref name="truncated"/> tells whether bytes beyond the 19 CARP keeps were dropped.</summary>
    public static CarpKey ToKey(SecureString? pass, out bool truncated)
    {
        truncated = false;
        if (pass is null || pass.Length == 0)
        {
            return CarpKey.Empty;
        }

        var chars = new char[pass.Length];
        byte[]? bytes = null;
        var unmanaged = IntPtr.Zero;
        var charsHandle = GCHandle.Alloc(chars, GCHandleType.Pinned);
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(pass);
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            bytes = GC.AllocateArray<byte>(Encoding.UTF8.GetByteCount(chars), pinned: true);
            Encoding.UTF8.GetBytes(chars, 0, chars.Length, bytes, 0);

            // ifconfig's strlcpy into the 20-byte key buffer keeps 19 bytes (docs/protocol.md#hmac-key).
            truncated = bytes.Length > CarpKey.MaxPassphraseBytes;
            return CarpKey.FromRawKey(bytes.AsSpan(0, Math.Min(bytes.Length, CarpKey.MaxPassphraseBytes)));
        }
        finally
        {
            if (bytes is not null)
            {
                CryptographicOperations.ZeroMemory(bytes);
            }

            Array.Clear(chars);
            charsHandle.Free();
            if (unmanaged != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
            }
        }
    }

    public const string TruncatedWarning =
        "The pass is longer than 19 bytes; CARP keeps only its first 19 bytes, as ifconfig does. Every node of the virtual host must use a pass that agrees in those bytes.";
}
