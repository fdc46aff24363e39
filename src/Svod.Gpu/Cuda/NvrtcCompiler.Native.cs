using System.Runtime.InteropServices;
using System.Text;
using Svod.Gpu.Cuda.Native;

namespace Svod.Gpu.Cuda;

/// <summary>The NVRTC calls behind <see cref="NvrtcCompiler.Compile"/>.</summary>
public static unsafe partial class NvrtcCompiler
{
    /// <summary>The loaded NVRTC's version, e.g. (12, 4).</summary>
    internal static (int Major, int Minor) NvrtcVersion()
    {
        int major, minor;
        Nvrtc.Check(Nvrtc.nvrtcVersion(&major, &minor), "nvrtcVersion");
        return (major, minor);
    }

    /// <summary>The real architectures (sm numbers) the loaded NVRTC can compile CUBINs for.</summary>
    internal static int[] SupportedArchitectures()
    {
        int count;
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* data = archs)
        {
            Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(data), "nvrtcGetSupportedArchs");
        }

        return archs;
    }

    private static byte[] CompileUncached(
        string source, string programName, IReadOnlyList<string> options, NvrtcTarget target)
    {
        var sourceBytes = NulTerminated(source);
        var nameBytes = NulTerminated(programName);
        nint program;
        fixed (byte* sourceText = sourceBytes)
        fixed (byte* nameText = nameBytes)
        {
            Nvrtc.Check(
                Nvrtc.nvrtcCreateProgram(&program, sourceText, nameText, 0, null, null), "nvrtcCreateProgram");
        }

        var optionTexts = new nint[options.Count];
        try
        {
            for (var i = 0; i < options.Count; i++)
            {
                optionTexts[i] = Marshal.StringToCoTaskMemUTF8(options[i]);
            }

            int status;
            fixed (nint* optionPointers = optionTexts)
            {
                status = Nvrtc.nvrtcCompileProgram(program, options.Count, (byte**)optionPointers);
            }

            if (status != Nvrtc.Success)
            {
                throw Nvrtc.Error(status, "nvrtcCompileProgram",
                    $"{programName} ({string.Join(' ', options)}):\n{ProgramLog(program)}");
            }

            return target.Cubin ? Cubin(program) : Ptx(program);
        }
        finally
        {
            foreach (var text in optionTexts)
            {
                Marshal.FreeCoTaskMem(text);
            }

            _ = Nvrtc.nvrtcDestroyProgram(&program);
        }
    }

    private static string ProgramLog(nint program)
    {
        nuint size;
        if (Nvrtc.nvrtcGetProgramLogSize(program, &size) != Nvrtc.Success || size <= 1)
        {
            return "(NVRTC gave no log)";
        }

        var log = new byte[(int)size];
        fixed (byte* data = log)
        {
            if (Nvrtc.nvrtcGetProgramLog(program, data) != Nvrtc.Success)
            {
                return "(NVRTC gave no log)";
            }
        }

        return Encoding.UTF8.GetString(log, 0, log.Length - 1).TrimEnd();
    }

    private static byte[] Cubin(nint program)
    {
        nuint size;
        Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize");
        var image = new byte[(int)size];
        fixed (byte* data = image)
        {
            Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(program, data), "nvrtcGetCUBIN");
        }

        return image;
    }

    /// <summary>The PTX with its terminating NUL (the size NVRTC reports includes it).</summary>
    private static byte[] Ptx(nint program)
    {
        nuint size;
        Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
        var image = new byte[(int)size];
        fixed (byte* data = image)
        {
            Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, data), "nvrtcGetPTX");
        }

        return image;
    }

    private static byte[] NulTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
