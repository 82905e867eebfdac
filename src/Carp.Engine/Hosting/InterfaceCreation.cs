using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>One interface of <see cref="ICarpService.CreateInterfaces"/>: its status when it was created, else why not.</summary>
public sealed record InterfaceCreation(VirtualHostConfig Config, VirtualHostStatus? Status, CarpException? Error);
