using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace Carp.Architecture.Tests;

/// <summary>The engine is portable: it calls no native code and reads nothing of the host's kernel; the Linux adapters do that.</summary>
public sealed class EnginePortabilityTests
{
    [Fact]
    public void Carp_Engine_contains_no_PInvoke()
    {
        using var pe = Open(Product.Engine);
        var metadata = pe.GetMetadataReader();
        var found = new List<string>();
        foreach (var handle in metadata.MethodDefinitions)
        {
            var method = metadata.GetMethodDefinition(handle);
            var attributes = method.GetCustomAttributes().Select(a => AttributeName(metadata, a));
            if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0 ||
                attributes.Any(a => a is "System.Runtime.InteropServices.DllImportAttribute" or "System.Runtime.InteropServices.LibraryImportAttribute"))
            {
                var type = metadata.GetTypeDefinition(method.GetDeclaringType());
                found.Add($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}.{metadata.GetString(method.Name)}");
            }
        }

        // Loading a native library by hand is P/Invoke too.
        found.AddRange(metadata.TypeReferences.Select(metadata.GetTypeReference)
            .Where(t => metadata.GetString(t.Namespace) == "System.Runtime.InteropServices" && metadata.GetString(t.Name) == "NativeLibrary")
            .Select(_ => "a use of System.Runtime.InteropServices.NativeLibrary"));
        Assert.True(found.Count == 0, "Carp.Engine calls native code (that belongs in Carp.Linux): " + string.Join(", ", found));
    }

    [Fact]
    public void Carp_Engine_reads_neither_proc_nor_sys()
    {
        using var pe = Open(Product.Engine);
        var metadata = pe.GetMetadataReader();
        var kernelPath = new Regex(@"(?<![\w.~-])/(proc|sys)(/|\b)");
        var found = new List<string>();
        for (var handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = metadata.GetNextHandle(handle))
        {
            var text = metadata.GetUserString(handle);
            if (kernelPath.IsMatch(text))
            {
                found.Add(text);
            }
        }

        Assert.True(found.Count == 0, "Carp.Engine names kernel files (that belongs in Carp.Linux): " + string.Join(", ", found));
    }

    private static PEReader Open(string assembly) => new(File.OpenRead(Product.Load(assembly).Location));

    private static string AttributeName(MetadataReader metadata, CustomAttributeHandle handle)
    {
        var constructor = metadata.GetCustomAttribute(handle).Constructor;
        EntityHandle type = constructor.Kind switch
        {
            HandleKind.MemberReference => metadata.GetMemberReference((MemberReferenceHandle)constructor).Parent,
            HandleKind.MethodDefinition => metadata.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType(),
            _ => default,
        };
        return type.Kind switch
        {
            HandleKind.TypeReference when metadata.GetTypeReference((TypeReferenceHandle)type) is var r =>
                $"{metadata.GetString(r.Namespace)}.{metadata.GetString(r.Name)}",
            HandleKind.TypeDefinition when metadata.GetTypeDefinition((TypeDefinitionHandle)type) is var d =>
                $"{metadata.GetString(d.Namespace)}.{metadata.GetString(d.Name)}",
            _ => string.Empty,
        };
    }
}
