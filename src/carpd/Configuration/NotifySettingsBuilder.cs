using Carp.Engine.Core;
using Carpd.Notify;

namespace Carpd.Configuration;

/// <summary>Collects the notify statements of a configuration file into its <see cref="NotifySettings"/>, checking the files they name.</summary>
internal sealed class NotifySettingsBuilder(string fileName)
{
    private readonly List<NotifyHook> _hooks = [];
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);
    private int? _timeout;
    private string? _fifo;

    public void Add(NotifyStatement statement)
    {
        var key = statement.Hook is not null ? statement.Text : statement.TimeoutSeconds is not null ? "notify timeout" : "notify_fifo";
        if (_lines.TryGetValue(key, out var first))
        {
            throw new CarpdConfigurationException(fileName, statement.Line, CarpErrorCode.InvalidArgument,
                statement.Hook is not null ? $"the same notify hook is on line {first}." : $"{key} is already set on line {first}.", "Keep one such line.");
        }

        _lines.Add(key, statement.Line);
        if (statement.Hook is { } hook)
        {
            NotifyFiles.CheckHook(hook.Path, fileName, statement.Line);
            _hooks.Add(hook);
        }
        else if (statement.TimeoutSeconds is { } seconds)
        {
            _timeout = seconds;
        }
        else
        {
            NotifyFiles.CheckFifo(statement.Fifo!, fileName, statement.Line);
            _fifo = statement.Fifo;
        }
    }

    public NotifySettings Build() => _lines.Count == 0 ? NotifySettings.Empty : new NotifySettings { Hooks = [.. _hooks], TimeoutSeconds = _timeout, Fifo = _fifo };
}
