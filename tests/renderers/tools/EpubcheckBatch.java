// Runs EPUBCheck on many EPUBs in one JVM (EPUBCheck's own CLI takes one file per run, and a JVM start
// plus EPUBCheck's schema loading costs seconds each time). Usage:
//   java -cp epubcheck.jar EpubcheckBatch.java OUT_DIR BOOK.epub...
// writes OUT_DIR/<n>.json (EPUBCheck's JSON report) for the n-th book, in argument order.
import com.adobe.epubcheck.tool.EpubChecker;

public class EpubcheckBatch {
    public static void main(String[] args) {
        for (int i = 1; i < args.length; i++) {
            String out = args[0] + "/" + (i - 1) + ".json";
            new EpubChecker().run(new String[] {args[i], "--json", out, "-q", "-u"});
        }
    }
}
