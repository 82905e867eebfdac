using System.Runtime.InteropServices;

// The cmdlets are for PowerShell on Linux; nothing here is meant for COM.
[assembly: ComVisible(false)]
