using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>Owns a Linux file descriptor (socket, eventfd, namespace file) and closes it once.</summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor; callers keep the handle alive (AddRef or a using scope).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => LibC.Close((int)handle.ToInt64()) == 0;
}
