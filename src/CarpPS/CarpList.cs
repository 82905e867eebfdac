using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace CarpPS;

/// <summary>
/// The addresses or groups of a carp interface. An ordinary list to PowerShell (indexing, -join,
/// ConvertTo-Json writes an array), whose text is its items joined with ", ": ConvertTo-Csv writes
/// "192.0.2.1/24, 2001:db8::1/64" rather than a type name, and -Address reads that text back.
/// </summary>
public sealed class CarpList : ReadOnlyCollection<string>
{
    internal CarpList(IEnumerable<string> items)
        : base([.. items])
    {
    }

    public override string ToString() => string.Join(", ", this);
}

/// <summary>
/// Lets <c>-Address</c> take a list written as one text, as ConvertTo-Csv / Import-Csv hand it back
/// ("192.0.2.1/24, 2001:db8::1/64"): every string is split at commas and white space.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class CarpAddressListTransformationAttribute : ArgumentTransformationAttribute
{
    private static readonly char[] s_separators = [',', ' ', '\t', '\r', '\n', ';'];

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        List<string> items = [];
        Add(items, inputData);
        return items.ToArray();
    }

    private static void Add(List<string> items, object? value)
    {
        value = value is PSObject wrapped ? wrapped.BaseObject : value;
        switch (value)
        {
            case null:
                return;
            case string text:
                items.AddRange(text.Split(s_separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                return;
            case IEnumerable list:
                foreach (var item in list)
                {
                    Add(items, item);
                }

                return;
            default:
                Add(items, value.ToString());
                return;
        }
    }
}
