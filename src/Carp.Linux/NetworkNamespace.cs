using System.Globalization;
using System.Runtime.ExceptionServices;

namespace Carp.Linux;

/// <summary>
/// Moves the calling OS thread into a named network namespace (/var/run/netns/NAME, as created by
/// "ip netns add") and back. Sockets, netlink sockets and pcap handles belong to the namespace of
/// the thread that creates them and stay there, so one process can drive several "hosts".
/// </summary>
/// <remarks>
/// Only the calling thread moves. Use dedicated threads (<see cref="Run{T}"/>): a thread-pool
/// thread left in another namespace would break unrelated code, and an await inside the scope may
/// resume on a different thread. Threads created while inside a namespace start in it; the
/// adapters' own worker threads move themselves back with <see cref="ReturnToProcessNamespace"/>.
/// </remarks>
public static class NetworkNamespace
{
    /// <summary>Where "ip netns" keeps its namespace files.</summary>
    public const string RunDirectory = "/var/run/netns";

    /// <summary>Path of the namespace file for <paramref name="name"/>.</summary>
    public static string PathOf(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"Invalid namespace name '{name}'.", nameof(name));
        }

        return Path.Combine(RunDirectory, name);
    }

    /// <summary>True when /var/run/netns/<paramref name="name"/> exists.</summary>
    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>
    /// Moves the current thread into the named namespace until the returned scope is disposed
    /// (on the same thread). Refuses thread-pool threads.
    /// </summary>
    public static IDisposable Enter(string name) => EnterPath(PathOf(name));

    /// <summary>Like <see cref="Enter"/> for any namespace file (e.g. /proc/PID/ns/net).</summary>
    public static IDisposable EnterPath(string namespaceFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(namespaceFile);
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            throw new InvalidOperationException(
                "Refusing to move a thread-pool thread into another network namespace; use a dedicated thread (NetworkNamespace.Run).");
        }

        // Remember where this thread is now, so the scope can bring it back.
        FileDescriptorHandle back = OpenNamespaceFile(CurrentThreadNamespaceFile());
        try
        {
            using FileDescriptorHandle target = OpenNamespaceFile(namespaceFile);
            SetNamespace(target, namespaceFile);
        }
        catch
        {
            back.Dispose();
            throw;
        }

        return new Scope(back, Environment.CurrentManagedThreadId);
    }

    /// <summary>Runs <paramref name="func"/> on a new dedicated thread inside the namespace and returns its result.</summary>
    public static T Run<T>(string name, Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        string path = PathOf(name);
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (EnterPath(path))
                {
                    result = func();
                }
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + name,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="action"/> on a new dedicated thread inside the namespace.</summary>
    public static void Run(string name, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _ = Run(name, () =>
        {
            action();
            return 0;
        });
    }

    /// <summary>"net:[4026531840]" style identity of the calling thread's namespace.</summary>
    public static string CurrentThreadNamespaceId =>
        new FileInfo(CurrentThreadNamespaceFile()).LinkTarget ?? string.Empty;

    /// <summary>"net:[4026531840]" style identity of the process's namespace (that of its main thread).</summary>
    public static string ProcessNamespaceId => new FileInfo("/proc/self/ns/net").LinkTarget ?? string.Empty;

    /// <summary>
    /// Moves the calling thread back to the process's own namespace (that of the main thread), if
    /// it is elsewhere. Worker threads started from a namespaced thread inherit its namespace; they
    /// call this first so that anything they spawn (thread-pool workers, timers) is not created in
    /// a test namespace. Best effort: without CAP_SYS_ADMIN the thread stays where it is, which is
    /// harmless for workers that only use already-open descriptors.
    /// </summary>
    internal static bool ReturnToProcessNamespace()
    {
        try
        {
            if (CurrentThreadNamespaceId == ProcessNamespaceId)
            {
                return true;
            }

            using FileDescriptorHandle home = OpenNamespaceFile("/proc/self/ns/net");
            SetNamespace(home, "/proc/self/ns/net");
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Starts a background thread that first returns to the process namespace.</summary>
    internal static Thread StartWorker(string name, Action body)
    {
        var thread = new Thread(() =>
        {
            _ = ReturnToProcessNamespace();
            body();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return thread;
    }

    private static string CurrentThreadNamespaceFile() =>
        "/proc/self/task/" + LibC.GetTid().ToString(CultureInfo.InvariantCulture) + "/ns/net";

    private static FileDescriptorHandle OpenNamespaceFile(string path)
    {
        int fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw LibC.LastError($"open({path})");
        }

        return new FileDescriptorHandle(fd);
    }

    private static void SetNamespace(FileDescriptorHandle fd, string what)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            if (LibC.SetNs(fd.Fd, LibC.CLONE_NEWNET) != 0)
            {
                throw LibC.LastError($"setns({what}, CLONE_NEWNET)");
            }
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    private sealed class Scope : IDisposable
    {
        private readonly int _threadId;
        private FileDescriptorHandle? _back;

        public Scope(FileDescriptorHandle back, int threadId)
        {
            _back = back;
            _threadId = threadId;
        }

        public void Dispose()
        {
            FileDescriptorHandle? back = _back;
            if (back is null)
            {
                return;
            }

            if (Environment.CurrentManagedThreadId != _threadId)
            {
                throw new InvalidOperationException(
                    "A network namespace scope must be disposed on the thread that entered it.");
            }

            _back = null;
            using (back)
            {
                SetNamespace(back, "original namespace");
            }
        }
    }
}
