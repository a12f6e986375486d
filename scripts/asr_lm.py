#!/usr/bin/env python3
"""Builds data/asr/dictation.lm: a trigram language model (ARPA) of clinical
dictation, interpolated at run time with PocketSphinx's stock model.

The text is generated here from material we write: phrase grammars of how
clinicians dictate (spoken headers, punctuation and layout commands, doses
and units spoken as words, ages, vitals, labs) filled from slot tables and
from the medical lexicon (data/asr/lexicon/terms.txt, harvested.txt), plus
each lexicon word once on its own so the recogniser can reach every word it
knows. No evaluation text is used.

Estimation: interpolated Kneser-Ney (Chen & Goodman 1998) with one discount
per order, D = n1 / (n1 + 2 n2), written as a back-off ARPA file.

usage: scripts/asr_lm.py [--notes N] [--out FILE] [--corpus FILE]
       scripts/asr_lm.py --selftest
"""
import argparse
import collections
import math
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEX = os.path.join(ROOT, "data", "asr", "lexicon")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- numbers
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def say(n):
    """A whole number as a clinician says it: 145 -> one hundred forty five."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + say(rest))
    rest = n % 1000
    return say(n // 1000) + " thousand" + ("" if rest == 0 else " " + say(rest))


def say_short(n, r):
    """Sometimes the short spoken form: 120 -> one twenty, 105 -> one oh five."""
    if 100 < n < 1000 and n % 100 and r.random() < 0.4:
        rest = n % 100
        return ONES[n // 100] + " " + ("oh " + ONES[rest] if rest < 10 else say(rest))
    return say(n)


def say_decimal(x, r):
    whole, frac = ("%g" % x).split(".") if "." in "%g" % x else ("%g" % x, "")
    text = say(int(whole))
    if frac:
        text += " point " + " ".join(ONES[int(d)] for d in frac)
    return text


# ------------------------------------------------------------------ slots
SEX = [("man", "he", "his"), ("woman", "she", "her"), ("male", "he", "his"),
       ("female", "she", "her"), ("boy", "he", "his"), ("girl", "she", "her"),
       ("gentleman", "he", "his"), ("lady", "she", "her"), ("patient", "she", "her")]

COMPLAINTS = """chest pain|shortness of breath|cough|fever|headache|abdominal pain|back pain|
knee pain|shoulder pain|hip pain|neck pain|ear pain|sore throat|rash|itchy rash|dizziness|
fatigue|weight loss|weight gain|palpitations|leg swelling|joint pain|diarrhea|constipation|
nausea and vomiting|heartburn|difficulty swallowing|blood in the stool|painful urination|
urinary frequency|flank pain|pelvic pain|vaginal bleeding|missed period|anxiety|depression|
insomnia|memory loss|numbness and tingling|weakness|syncope|wheezing|nasal congestion|
sinus pressure|eye redness|blurred vision|hearing loss|skin lesion|wound check|
blood pressure check|diabetes follow up|cholesterol follow up|medication refill|
annual physical|well child check|asthma follow up|gout flare|ankle injury|wrist injury|
laceration|burn|dog bite|fall|motor vehicle collision|alcohol use|smoking cessation""".replace(
    "\n", "").split("|")

DURATIONS = ["two days", "three days", "one week", "two weeks", "three weeks", "a month",
             "two months", "six months", "a year", "several days", "four days", "five days",
             "ten days", "three months"]

HISTORY = """hypertension|hyperlipidemia|type two diabetes|diabetes mellitus|coronary artery disease|
atrial fibrillation|congestive heart failure|copd|asthma|chronic kidney disease|
hypothyroidism|obesity|osteoarthritis|gout|depression|anxiety|gerd|migraines|
obstructive sleep apnea|prior stroke|peripheral neuropathy|benign prostatic hyperplasia|
osteoporosis|rheumatoid arthritis|psoriasis|eczema|seasonal allergies|anemia|
hepatitis c|cirrhosis|breast cancer|prostate cancer|colon cancer|lung cancer|
deep vein thrombosis|pulmonary embolism|bipolar disorder|schizophrenia|adhd|ptsd""".replace(
    "\n", "").split("|")

FINDINGS = """tenderness to palpation|no tenderness|mild erythema|no edema|trace edema|
one plus pitting edema|two plus pitting edema|clear to auscultation bilaterally|
wheezes in all lung fields|crackles at the bases|rhonchi|regular rate and rhythm|
no murmurs rubs or gallops|a two over six systolic murmur|irregularly irregular rhythm|
soft nontender nondistended|positive bowel sounds|guarding in the right lower quadrant|
rebound tenderness|tenderness in the epigastrium|tympanic membrane bulging and red|
tympanic membranes clear|pharynx erythematous|tonsillar exudate|cervical lymphadenopathy|
no lymphadenopathy|full range of motion|decreased range of motion|effusion of the knee|
positive straight leg raise|negative straight leg raise|strength five out of five|
sensation intact|reflexes two plus and symmetric|cranial nerves two through twelve intact|
alert and oriented times three|pupils equal round and reactive to light|
normal gait|antalgic gait|dry itchy patches|scaly plaques|a pustule|an ulcer with necrotic base|
warmth and swelling|crepitus|joint line tenderness|point tenderness over the distal radius|
no focal deficits|mild distress|no acute distress|diaphoretic|afebrile|jugular venous distension""".replace(
    "\n", "").split("|")

EXAM_AREAS = ["general", "heent", "neck", "lungs", "heart", "cardiovascular", "abdomen",
              "extremities", "skin", "neurologic", "musculoskeletal", "psychiatric", "back",
              "right knee", "left knee", "left shoulder", "right ankle", "left ear"]

FREQ = ["daily", "once daily", "twice daily", "three times daily", "four times daily",
        "every morning", "at night", "at bedtime", "every six hours as needed",
        "every eight hours as needed", "as needed", "weekly", "every twelve hours",
        "twice a day", "once a day", "three times a day", "every other day"]

UNITS = ["milligrams", "milligrams", "milligrams", "micrograms", "grams", "units",
         "milliliters", "milligrams per kilogram", "puffs", "tablets", "drops"]

ROUTES = ["", "", "", "by mouth", "orally", "intravenously", "subcutaneously", "topically",
          "inhaled"]

DOSES = [1, 2, 2.5, 4, 5, 6.25, 10, 12.5, 20, 25, 30, 40, 50, 75, 80, 81, 100, 150, 200,
         250, 300, 325, 400, 500, 600, 750, 800, 875, 1000, 0.5, 0.1, 0.25, 15, 60, 90, 120]

LABS = [("ldl", 60, 190), ("hdl", 25, 80), ("a one c", 5.2, 11.5), ("hemoglobin a one c", 5.2, 11),
        ("hemoglobin", 8, 17), ("potassium", 2.9, 5.9), ("sodium", 125, 148),
        ("creatinine", 0.6, 3.2), ("tsh", 0.2, 9), ("uric acid", 4, 11), ("glucose", 70, 350),
        ("white count", 3, 22), ("platelets", 90, 450), ("inr", 0.9, 3.8),
        ("troponin", 0.01, 2), ("total cholesterol", 140, 290), ("triglycerides", 80, 400),
        ("vitamin d", 12, 60), ("ferritin", 8, 300), ("b n p", 40, 1500)]

PLAN = """follow up in {n} weeks|follow up in {n} months|return if symptoms worsen|
recheck in {n} weeks|referral to {spec}|{spec} consult|physical therapy|
diet and exercise counseling|smoking cessation counseling|labs in {n} weeks|
check a lipid panel|check a basic metabolic panel|check a complete blood count|
order a chest x ray|order an ultrasound|order an mri of the {part}|order a ct scan of the {part}|
ekg today|echocardiogram|stress test|colonoscopy|ice and elevation|rest|
warm compresses|continue current medications|discussed risks and benefits|
patient agrees with the plan|return precautions given|flu vaccine today|
wound care instructions given|sutures out in {n} days|daily emollients|
pulmonary rehabilitation referral|therapy referral|sleep hygiene|
admit to the medical floor|admit to telemetry|admit to the intensive care unit|discharge home|
refer to {spec}|may repeat in {n} hours|take with food|take before breakfast|keep a symptom diary|
keep a headache diary|avoid late meals|increase fluids|daily weights|strain the urine|
elevate the leg|elevate the head of the bed|saline rinses|outpatient rehabilitation|
recheck labs in {n} months|recheck a complete blood count in {n} weeks|recheck in {n} days|
return in {n} weeks|return to clinic in {n} months|call if no improvement|
follow up with {spec} in {n} weeks|{spec} follow up in {n} weeks|
continue home medications|hold {drug}|stop {drug}|continue {drug}|
counseled on diet and exercise|handout given|questions answered""".replace("\n", "").split("|")

HPI_MORE = """{he} reports {complaint}|{he} notes {complaint}|{he} has {complaint}|
{he} complains of {complaint}|{his} {complaint} is worse with {worse}|
{complaint} is better with {better}|{drug} does not help|{drug} has not helped|
{he} tried {drug} without relief|no {complaint} comma no {complaint}|
{he} denies {complaint} and {complaint}|symptoms started {duration} ago|
{he} was seen in the emergency department {duration} ago|
{complaint} since this morning|{complaint} since last night|
{he} had {history} before|no fever comma no chills|no chest pain comma no shortness of breath|
{he} is tolerating {drug} well|{he} stopped {drug} because of {complaint}|
{he} takes {drug} as prescribed|{his} symptoms are improving|{his} symptoms are worse""".replace(
    "\n", "").split("|")

WORSE = ["activity", "stairs", "walking", "exertion", "lying flat", "eating", "coughing",
         "movement", "standing", "bending", "at night", "cold weather"]
BETTER = ["rest", "ice", "heat", "ibuprofen", "acetaminophen", "sitting up", "antacids"]

TESTS = ["chest x ray", "ekg", "ultrasound", "ct scan", "mri", "urinalysis", "echocardiogram",
         "x ray of the right knee", "x ray of the left wrist", "ct scan of the abdomen",
         "rapid strep test", "flu swab", "pregnancy test"]
TEST_RESULTS = ["no acute findings", "right lower lobe consolidation", "left lower lobe pneumonia",
                "a small effusion", "normal sinus rhythm", "atrial fibrillation",
                "sinus tachycardia", "no fracture", "a nondisplaced fracture", "gallstones",
                "a four millimeter stone", "mild degenerative changes",
                "positive for leukocytes and nitrites", "negative", "positive",
                "an ejection fraction of forty percent", "microscopic hematuria"]

SPECIALTIES = ["cardiology", "dermatology", "gastroenterology", "neurology", "nephrology",
               "urology", "endocrinology", "orthopedics", "pulmonology", "rheumatology",
               "psychiatry", "ophthalmology", "podiatry", "general surgery", "oncology",
               "hematology", "physical therapy", "nutrition"]

PARTS = ["head", "brain", "chest", "abdomen", "pelvis", "lumbar spine", "cervical spine",
         "right knee", "left knee", "right shoulder", "left hip", "abdomen and pelvis"]

PROCEDURES = ["laceration repair", "incision and drainage", "skin biopsy", "punch biopsy",
              "shave biopsy", "excision of a lesion", "joint injection", "knee aspiration",
              "ingrown toenail removal", "foreign body removal", "cryotherapy",
              "nail trephination", "splint application", "abscess drainage",
              "trigger point injection", "cerumen removal"]

HEADERS_ORDER = [
    ["chief complaint", "history of present illness", "physical exam", "assessment and plan"],
    ["chief complaint", "history of present illness", "review of systems", "physical exam",
     "assessment and plan"],
    ["chief complaint", "history of present illness", "past medical history", "medications",
     "allergies", "physical exam", "assessment", "plan"],
    ["subjective", "objective", "assessment", "plan"],
    ["history of present illness", "results", "assessment and plan"],
    ["reason for visit", "history of present illness", "social history", "family history",
     "physical examination", "impression", "plan"],
]


# Diagnoses as clinicians name them in an assessment, across specialties.
DIAGNOSES = """hypertensive urgency|hyperlipidemia|mixed hyperlipidemia|type one diabetes|
type two diabetes mellitus|uncontrolled type two diabetes|diabetic neuropathy|
diabetic retinopathy|diabetic ketoacidosis|prediabetes|hypoglycemia|hypothyroidism|
hyperthyroidism|graves disease|thyroid nodule|adrenal insufficiency|obesity|
morbid obesity|vitamin d deficiency|vitamin b twelve deficiency|iron deficiency anemia|
anemia of chronic disease|sickle cell disease|thrombocytopenia|acute coronary syndrome|
non st elevation myocardial infarction|st elevation myocardial infarction|
atrial fibrillation|atrial flutter|supraventricular tachycardia|sinus bradycardia|
heart failure with reduced ejection fraction|
heart failure with preserved ejection fraction|congestive heart failure|
acute on chronic heart failure|aortic stenosis|mitral regurgitation|
peripheral artery disease|deep vein thrombosis|pulmonary embolism|varicose veins|syncope|
orthostatic hypotension|chest pain of unclear cause|noncardiac chest pain|
asthma exacerbation|mild persistent asthma|moderate persistent asthma|
chronic obstructive pulmonary disease|copd exacerbation|community acquired pneumonia|
aspiration pneumonia|acute bronchitis|bronchiolitis|pertussis|influenza|covid nineteen|
viral upper respiratory infection|allergic rhinitis|acute sinusitis|
acute bacterial sinusitis|streptococcal pharyngitis|viral pharyngitis|
peritonsillar abscess|acute otitis media|otitis externa|cerumen impaction|hordeolum|
chalazion|corneal abrasion|glaucoma|cataract|obstructive sleep apnea|pulmonary nodule|
lung cancer|pleural effusion|pneumothorax|gastroesophageal reflux disease|
peptic ulcer disease|gastritis|acute gastroenteritis|irritable bowel syndrome|
ulcerative colitis|crohn disease|celiac disease|diverticulitis|acute appendicitis|
acute cholecystitis|symptomatic cholelithiasis|fatty liver disease|alcoholic hepatitis|
cirrhosis|hepatitis c|upper gastrointestinal bleed|lower gastrointestinal bleed|
hemorrhoids|anal fissure|constipation|small bowel obstruction|
clostridium difficile colitis|urinary tract infection|acute cystitis|
acute pyelonephritis|kidney stone|nephrolithiasis|acute kidney injury|
end stage renal disease|benign prostatic hyperplasia|prostatitis|erectile dysfunction|
overactive bladder|urinary retention|stress incontinence|epididymitis|testicular torsion|
pregnancy|intrauterine pregnancy|threatened abortion|ectopic pregnancy|preeclampsia|
hyperemesis gravidarum|bacterial vaginosis|vaginal candidiasis|trichomoniasis|chlamydia|
gonorrhea|pelvic inflammatory disease|polycystic ovary syndrome|menorrhagia|dysmenorrhea|
endometriosis|uterine fibroids|menopause|ovarian cyst|mastitis|
osteoarthritis of the knee|osteoarthritis of the hip|rheumatoid arthritis|
psoriatic arthritis|pseudogout|lupus|polymyalgia rheumatica|fibromyalgia|low back pain|
lumbar strain|lumbar radiculopathy|cervical radiculopathy|sciatica|spinal stenosis|
neck strain|rotator cuff tendinopathy|rotator cuff tear|adhesive capsulitis|
lateral epicondylitis|carpal tunnel syndrome|de quervain tenosynovitis|trigger finger|
plantar fasciitis|achilles tendinitis|knee sprain|meniscal tear|
patellofemoral pain syndrome|hip fracture|distal radius fracture|wrist fracture|
clavicle fracture|rib fracture|compression fracture|osteoporosis|osteopenia|cellulitis|
abscess|skin abscess|impetigo|atopic dermatitis|contact dermatitis|seborrheic dermatitis|
eczema|psoriasis|acne vulgaris|rosacea|herpes zoster|herpes simplex|tinea pedis|
tinea corporis|onychomycosis|scabies|actinic keratosis|seborrheic keratosis|
basal cell carcinoma|squamous cell carcinoma|melanoma|warts|molluscum contagiosum|
ingrown toenail|pressure ulcer|diabetic foot ulcer|burn|second degree burn|laceration|
animal bite|insect bite|migraine without aura|migraine with aura|tension headache|
cluster headache|concussion|seizure disorder|epilepsy|first seizure|febrile seizure|
transient ischemic attack|acute ischemic stroke|bell palsy|peripheral neuropathy|
restless legs syndrome|parkinson disease|essential tremor|multiple sclerosis|dementia|
benign paroxysmal positional vertigo|vertigo|major depressive disorder|
generalized anxiety disorder|panic disorder|schizophrenia|post traumatic stress disorder|
attention deficit hyperactivity disorder|alcohol use disorder|opioid use disorder|
tobacco use disorder|insomnia|adjustment disorder|autism spectrum disorder|
anorexia nervosa|sepsis|bacteremia|fever without a source|dehydration|hyponatremia|
hypokalemia|hyperkalemia|lymphadenopathy|mononucleosis|lyme disease|hiv infection|
well child|well adult|routine health maintenance|essential hypertension|gestational diabetes|
coronary artery disease|stable angina|unstable angina|croup|conjunctivitis|bacterial conjunctivitis|
viral conjunctivitis|allergic conjunctivitis|acute pancreatitis|chronic pancreatitis|
chronic kidney disease|bipolar disorder|gout flare|acute gout|ankle sprain|urticaria""".replace(
    "\n", "").split("|")

# More of what patients come in with, as dictated.
SYMPTOMS = """eye pain|itchy eyes|blistering rash|painful rash|diaper rash|itching|joint swelling|
morning stiffness|swollen hands|bloody diarrhea|loose stools|black stools|
rectal bleeding|vomiting blood|weak urinary stream|hesitancy|urinary urgency|
incontinence|blood in the urine|nocturia|chest pressure|chest tightness|
pleuritic chest pain|exertional chest pain|racing heart|low mood|poor sleep|
suicidal thoughts|hallucinations|irritability|poor concentration|panic attacks|worry|
seizure|tremor|slurred speech|facial droop|vision loss|double vision|ear drainage|
hoarseness|sneezing|runny nose|postnasal drip|jaw pain|calf pain|foot pain|heel pain|
toe pain|hand numbness|wrist pain|elbow pain|groin pain|testicular pain|scrotal swelling|
vaginal discharge|vaginal itching|pelvic pressure|breast lump|breast pain|hot flashes|
irregular periods|heavy periods|decreased fetal movement|contractions|leaking fluid|
poor feeding|fussiness|ear tugging|bedwetting|snoring|daytime sleepiness|night sweats|
chills|easy bruising|bleeding gums|nosebleeds|hair loss|acne|a changing mole|warts|
ingrown toenail|insect bite|sunburn|head injury|neck injury|fall from standing|
syncopal episode|near fainting|lightheadedness|difficulty swallowing|painful swallowing|
burning with urination|excessive thirst|frequent urination|tingling in the feet|
burning pain|swollen glands|high blood sugar|low blood sugar|high cholesterol|
weight loss|abdominal bloating|belching|early satiety|decreased appetite|yellow skin|
dark urine|pale stools|itchy scalp|dandruff|dry skin|swelling of the face|
tongue swelling|throat tightness|wheezing at night|cough at night|sputum production|
coughing up blood|leg cramps|muscle aches|muscle weakness|joint pain|back stiffness|
racing thoughts|hives|high blood pressure|trouble breathing|lip swelling|noisy breathing|
barking cough|red eye|eye discharge""".replace(
    "\n", "").split("|")

# Medications named in more than one word (the lexicon lists words one by one).
DRUG_PHRASES = """ferrous sulfate|folic acid|potassium chloride|magnesium oxide|calcium carbonate|
vitamin d three|vitamin b twelve|isosorbide mononitrate|isosorbide dinitrate|
polyethylene glycol|insulin glargine|insulin lispro|insulin aspart|nph insulin|
amoxicillin clavulanate|amoxicillin and clavulanate|sulfamethoxazole trimethoprim|
piperacillin tazobactam|ipratropium albuterol|fluticasone salmeterol|budesonide formoterol|
sacubitril valsartan|hydrocodone acetaminophen|oxycodone acetaminophen|
ethinyl estradiol|medroxyprogesterone acetate|hydrocortisone cream|triamcinolone cream|
triamcinolone ointment|mupirocin ointment|lidocaine patch|nicotine patch|
nitroglycerin sublingual|artificial tears|saline nasal spray|fish oil|sodium bicarbonate|
aluminum hydroxide|bismuth subsalicylate|silver sulfadiazine|benzoyl peroxide|
ammonium lactate|zinc oxide|normal saline|lactated ringers""".replace("\n", "").split("|")

# Symptoms by their clinical names, as a clinician dictates them.
CLINICAL_SYMPTOMS = """dysuria|dyspnea|dyspnea on exertion|orthopnea|paroxysmal nocturnal dyspnea|
hematuria|gross hematuria|nocturia|polyuria|polydipsia|hemoptysis|hematemesis|melena|
hematochezia|dysphagia|odynophagia|dyspepsia|photophobia|phonophobia|vertigo|presyncope|
paresthesias|myalgias|arthralgias|malaise|diaphoresis|epistaxis|rhinorrhea|tinnitus|
diplopia|otalgia|otorrhea|odynophagia|dysmenorrhea|dyspareunia|tenesmus|anhedonia|
hypersomnia|urinary hesitancy|urinary urgency|pelvic pain|flank pain|pleuritic chest pain|
abdominal distension|pedal edema|lower extremity edema|hemiparesis|aphasia|dysarthria|
ataxia|syncope|palpitations|fatigue|anorexia|weight gain|fevers and chills""".replace(
    "\n", "").split("|")

# Exam and result findings, across systems.
MORE_FINDINGS = """eyelid swelling|pupils equal and reactive|extraocular movements intact|
expiratory wheezes|nasal flaring|diminished breath sounds at the right base|
bibasilar crackles|egophony|dullness to percussion|
grouped vesicles on an erythematous base|vesicles in a dermatomal distribution|
erythematous macules|papules and pustules|honey colored crusts|
well demarcated plaques with silver scale|lichenified plaques|a fluctuant mass|
induration and warmth|streaking up the leg|a punched out ulcer|
synovitis of the small joints of the hands|swelling of the metacarpophalangeal joints|
tophi|limited range of motion|positive drawer test|positive mcmurray test|
joint line tenderness|ligamentous laxity|neurovascularly intact|
capillary refill under two seconds|right upper quadrant tenderness|positive murphy sign|
left lower quadrant tenderness|suprapubic tenderness|costovertebral angle tenderness|
rebound and guarding|hyperactive bowel sounds|hepatomegaly|a palpable mass|
an enlarged smooth prostate|a firm nodular prostate|testicular tenderness|
cervical motion tenderness|vaginal discharge|a closed cervical os|
fetal heart tones present|fundal height appropriate for dates|jugular venous distension|
pitting edema to the knees|a holosystolic murmur|an irregularly irregular rhythm|
tachycardic|bradycardic|hypotensive|hypertensive|weak pulses|cool extremities|
nonfocal neurologic exam|facial droop on the left|pronator drift|slurred speech|
a positive romberg|nystagmus|normal gait|a shuffling gait|resting tremor|flat affect|
depressed mood|anxious mood|linear goal directed thought process|
no suicidal or homicidal ideation|fair insight and judgment|pressured speech|
tympanic membrane erythematous and bulging|canal edema and debris|tonsillar exudates|
uvula midline|a peritonsillar bulge|tender anterior cervical nodes|clear rhinorrhea|
boggy nasal turbinates|maxillary sinus tenderness""".replace(
    "\n", "").split("|")

MORE_LABS = [("lipase", 20, 3000), ("lithium level", 0.3, 1.6), ("fasting glucose", 70, 250),
             ("amylase", 30, 900), ("c reactive protein", 1, 200), ("sed rate", 5, 110), ("d dimer", 0.2, 6),
             ("ast", 12, 400), ("alt", 10, 400), ("bilirubin", 0.3, 6),
             ("alkaline phosphatase", 40, 500), ("albumin", 2.1, 4.9), ("calcium", 7.5, 11.5),
             ("magnesium", 1.2, 2.6), ("lactate", 0.6, 6), ("bun", 6, 80),
             ("free t four", 0.5, 3.5), ("psa", 0.2, 14), ("vitamin b twelve", 150, 900),
             ("procalcitonin", 0.05, 8), ("hemoglobin", 6.5, 17), ("wbc", 2.5, 25)]

MORE_TESTS = ["ct angiogram of the chest", "ct scan of the head", "ultrasound of the right upper quadrant",
              "renal ultrasound", "pelvic ultrasound", "transvaginal ultrasound", "venous doppler of the leg",
              "x ray of the ankle", "x ray of the foot", "x ray of the hand", "lumbar spine x ray",
              "chest x ray", "urine culture", "blood cultures",
              "strep test", "monospot", "urine drug screen", "lumbar puncture", "eeg", "mri of the brain",
              "stress test", "holter monitor", "colonoscopy", "upper endoscopy", "skin biopsy"]

FORMS = ["tablet", "tablets", "capsule", "capsules", "ointment", "cream", "solution",
         "suspension", "inhaler", "nebulizer", "patch", "injection", "drops", "spray",
         "eye drops", "nasal spray", "gel", "lotion", "shampoo"]

MORE_FREQ = ["once", "once weekly", "every four hours as needed", "every morning",
             "with meals", "before breakfast", "for pain", "for nausea", "for sleep", "with a taper", "for one week",
             "four times daily", "every twelve hours", "at the first sign of a headache",
             "nightly", "in the evening", "after each loose stool", "in each nostril",
             "to the affected area twice daily", "in the left eye", "in the right eye"]

# Sentences clinicians dictate in a history, exam or plan; {dx} {sx} {drug}
# {n} {dur} {side} {part} {he} {his} are filled in.
MORE_HPI = """the patient is a {age} year old {sex} with a history of {dx} who presents with {sx}|
{age} year old {sex} presenting with {sx} for {dur}|
{age} year old {sex} here for follow up of {dx}|{he} presents for evaluation of {sx}|
{he} comes in today for {sx}|{he} describes the pain as {quality}|
the pain radiates to the {part}|{he} rates the pain {n} out of ten|
associated with {sx} and {sx}|symptoms began {dur} ago after {trigger}|
{he} has tried {drug} with some relief|{he} ran out of {drug} {dur} ago|
{he} missed several doses of {drug}|{he} is adherent to {drug}|no sick contacts|
no recent travel|{he} is {weeks} weeks pregnant|positive for {sx}|
negative for {sx} comma {sx} comma and {sx}|no history of {dx}|family history of {dx}|
{he} had a similar episode {dur} ago|{he} smokes one pack per day|
{he} quit smoking {dur} ago|{he} drinks alcohol daily|{he} lives with {his} family|
{he} works as a teacher|up to date on vaccines""".replace(
    "\n", "").split("|")

MORE_PLAN = """start {drug} {dose}|continue {drug} {dose}|increase {drug} to {dose}|
decrease {drug} to {dose}|switch {drug} to {drug}|stop {drug} and start {drug}|
restart {drug}|taper {drug} over {dur}|{drug} {dose} for {n} days|prescribed {drug}|
refill {drug}|hold {drug} for now|check {lab} in {n} weeks|recheck {lab} in {n} months|
order {test}|{test} ordered|refer to {spec}|urgent {spec} referral|{spec} consult|
admit to the hospital|admit to telemetry|admit for observation|
discharge home with return precautions|return if worse|follow up in {n} days|
follow up with primary care in {n} weeks|follow up with {spec} in {n} weeks|
no driving for {n} months|work note given|school note given|counseled on {topic}|
discussed {topic}|education provided on {topic}|crutches and weight bearing as tolerated|
splint and sling|warm compresses four times daily|clear liquid diet|low salt diet|
fluid restriction|daily weights|incentive spirometry|blood pressure log at home|
symptom diary|vaccines today|tetanus booster today|flu vaccine today|shingles vaccine|
home health referral|physical therapy referral""".replace(
    "\n", "").split("|")

TOPICS = ["diet and exercise", "smoking cessation", "medication side effects", "safe sleep",
          "warning signs", "fall prevention", "alcohol use", "contraception",
          "hypoglycemia", "inhaler technique", "sun protection", "sleep hygiene"]
QUALITY = ["sharp", "dull", "aching", "burning", "pressure like", "stabbing", "throbbing",
           "cramping", "squeezing", "shooting"]
TRIGGERS = ["lifting a heavy box", "a fall", "a viral illness", "starting a new medication",
            "eating a large meal",
            "yard work", "a car accident", "running", "a camping trip"]


def read_words(name):
    words, drugs, section = [], [], ""
    path = os.path.join(LEX, name)
    if not os.path.exists(path):
        return words, drugs
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("##"):
                section = line
                continue
            line = line.split("#", 1)[0]
            for w in line.split():
                words.append(w.lower())
                if "drugs: generic" in section:
                    drugs.append(w.lower())
    return words, drugs


class Dictation:
    def __init__(self, r, drugs, conditions):
        self.r = r
        self.drugs = drugs + DRUG_PHRASES * 2
        self.conditions = conditions
        self.complaints = COMPLAINTS + SYMPTOMS + CLINICAL_SYMPTOMS
        self.findings = FINDINGS + MORE_FINDINGS
        self.labs = LABS + MORE_LABS
        self.tests = TESTS + MORE_TESTS
        self.diagnoses = HISTORY + DIAGNOSES

    def pick(self, seq):
        return self.r.choice(seq)

    def dose(self):
        r = self.r
        drug = self.pick(self.drugs)
        d = self.pick(DOSES)
        amount = say_decimal(d, r) if d != int(d) else say(int(d))
        parts = [drug, amount, self.pick(UNITS)]
        if r.random() < 0.2:
            parts.append(self.pick(FORMS))
        route = self.pick(ROUTES)
        if route:
            parts.append(route)
        parts.append(self.pick(FREQ) if r.random() < 0.75 else self.pick(MORE_FREQ))
        if r.random() < 0.2:
            parts += ["for", say(r.choice([3, 5, 7, 10, 14])), "days"]
        return " ".join(parts)

    def lab(self):
        name, lo, hi = self.pick(self.labs)
        x = self.r.uniform(lo, hi)
        x = round(x) if hi > 30 else round(x, 1)
        return "%s %s" % (name, say_decimal(x, self.r) if x != int(x) else say(int(x)))

    def vitals(self):
        r = self.r
        out = []
        if r.random() < 0.7:
            out.append("blood pressure %s over %s" % (say_short(r.randint(95, 185), r),
                                                      say(r.randint(55, 110))))
        if r.random() < 0.6:
            out.append("heart rate %s" % say(r.randint(48, 130)))
        if r.random() < 0.5:
            t = round(r.uniform(97, 103.5), 1)
            out.append("temperature %s" % say_decimal(t, r))
        if r.random() < 0.4:
            out.append("oxygen saturation %s percent on room air" % say(r.randint(86, 100)))
        if r.random() < 0.3:
            out.append("respiratory rate %s" % say(r.randint(12, 30)))
        return out

    def fill(self, template):
        r = self.r
        return template.format(n=say(r.choice([1, 2, 3, 4, 6, 8, 10, 12])),
                               spec=self.pick(SPECIALTIES), part=self.pick(PARTS),
                               drug=self.pick(self.drugs))

    def sentence_end(self):
        return " " + ("period" if self.r.random() < 0.92 else "period new paragraph")

    def hpi(self):
        r = self.r
        sex, he, his = self.pick(SEX)
        age = r.randint(1, 95)
        parts = ["%s year old %s" % (say(age), sex)]
        if r.random() < 0.6:
            hx = r.sample(self.diagnoses + self.conditions, r.randint(1, 3))
            parts.append("with a history of " + " comma ".join(hx) if r.random() < 0.5
                         else "with " + " and ".join(hx))
        s = " ".join(parts)
        out = [s + " who presents with " + self.pick(self.complaints) + " for " +
               self.pick(DURATIONS)]
        if r.random() < 0.5:
            out.append("%s is on %s" % (he, self.dose()))
        if r.random() < 0.5:
            out.append("%s denies %s comma %s comma or %s" % (
                he, self.pick(self.complaints), self.pick(self.complaints), self.pick(self.complaints)))
        if r.random() < 0.3:
            out.append("no %s" % self.pick(self.complaints))
        if r.random() < 0.3:
            out.append("%s pain is %s out of ten" % (his, say(r.randint(1, 10))))
        for _ in range(r.randint(0, 2)):
            out.append(self.more_hpi(he, his, sex))
        for _ in range(r.randint(0, 3)):
            out.append(self.pick(HPI_MORE).format(
                he=he, his=his, complaint=self.pick(self.complaints), worse=self.pick(WORSE),
                better=self.pick(BETTER), drug=self.pick(self.drugs),
                duration=self.pick(DURATIONS), history=self.pick(self.diagnoses)))
        return out

    def more_hpi(self, he, his, sex):
        r = self.r
        return self.pick(MORE_HPI).format(
            he=he, his=his, sex=sex, age=say(r.randint(1, 95)), dx=self.pick(self.diagnoses),
            sx=self.pick(self.complaints), dur=self.pick(DURATIONS), n=say(r.randint(1, 10)),
            quality=self.pick(QUALITY), part=self.pick(PARTS), trigger=self.pick(TRIGGERS),
            drug=self.pick(self.drugs), weeks=say(r.randint(6, 40)))

    def plan(self):
        r = self.r
        if r.random() < 0.6:
            return self.fill(self.pick(PLAN))
        dose = " ".join(self.dose().split()[1:])
        return self.pick(MORE_PLAN).format(
            drug=self.pick(self.drugs), dose=dose, n=say(r.choice([1, 2, 3, 4, 6, 8, 10, 12])),
            dur=self.pick(DURATIONS), lab=self.pick(self.labs)[0], test=self.pick(self.tests),
            spec=self.pick(SPECIALTIES), topic=self.pick(TOPICS))

    def exam(self):
        r = self.r
        out = []
        v = self.vitals()
        if v:
            out.append("vital signs colon " + " comma ".join(v))
        for _ in range(r.randint(1, 4)):
            x = r.random()
            if x < 0.4:
                out.append("%s colon %s" % (self.pick(EXAM_AREAS), self.pick(self.findings)))
            elif x < 0.55:
                out.append("%s with %s comma %s" % (self.pick(EXAM_AREAS), self.pick(self.findings),
                                                    self.pick(self.findings)))
            elif x < 0.7:
                out.append("%s shows %s" % (self.pick(self.tests), self.pick(TEST_RESULTS)))
            else:
                out.append(self.pick(self.findings))
        return out

    def assessment(self):
        r = self.r
        out = []
        for i in range(r.randint(1, 3)):
            dx = self.pick(self.diagnoses + self.conditions + self.conditions)
            items = [dx]
            if r.random() < 0.5:
                items.append(self.pick(["stable", "controlled", "not at goal", "at goal",
                                        "worsening", "improved", "new diagnosis",
                                        "uncontrolled", "resolved", "improving",
                                        "well controlled", "rate controlled", "acute",
                                        "chronic", "mild", "moderate", "severe",
                                        "likely viral", "suspected", "under replaced"]))
            lead = "number %s " % say(i + 1) if r.random() < 0.2 else ""
            out.append(lead + " comma ".join(items))
            act = r.random()
            if act < 0.3:
                out.append("start " + self.dose())
            elif act < 0.5:
                out.append("continue " + self.pick(self.drugs))
            elif act < 0.65:
                d = self.dose().split()
                out.append("increase %s to %s" % (d[0], " ".join(d[1:])))
            elif act < 0.75:
                out.append("stop " + self.pick(self.drugs))
            out.append(self.plan())
        return out

    def procedure(self):
        r = self.r
        proc = self.pick(PROCEDURES)
        side = self.pick(["left", "right"])
        part = self.pick(["forearm", "hand", "thumb", "index finger", "knee", "shin", "foot",
                          "scalp", "forehead", "chin", "upper arm", "thigh", "back",
                          "shoulder", "wrist", "ankle", "elbow", "cheek", "eyebrow"])
        size = say(r.randint(1, 12))
        body = ["procedure note", "procedure colon " + proc,
                "indication colon " + self.pick(self.complaints + [proc.split()[0]])]
        if r.random() < 0.5:
            body.append("consent obtained after discussing risks and benefits")
        body.append("the %s centimeter %s of the %s %s was anesthetized with %s percent "
                    "lidocaine%s" % (size, self.pick(["laceration", "lesion", "wound", "cyst",
                                                       "abscess"]), side, part,
                                     say_decimal(self.pick([1, 2, 0.5]), r),
                                     self.pick(["", " with epinephrine"])))
        body.append(self.pick(["irrigated comma and closed with %s simple interrupted sutures",
                               "cleaned comma irrigated comma and closed with %s sutures",
                               "incised and drained comma packed with %s strips of gauze",
                               "excised with %s millimeter margins",
                               "repaired with %s horizontal mattress sutures"]) %
                    say(r.randint(2, 9)))
        body.append(self.pick(["no complications", "estimated blood loss minimal",
                               "the patient tolerated the procedure well",
                               "specimen sent to pathology"]))
        body.append(self.fill(self.pick(PLAN)))
        return " period ".join(body) + " period"

    def note(self):
        r = self.r
        if r.random() < 0.12:
            return self.procedure()
        order = self.pick(HEADERS_ORDER)
        lines = []
        for h in order:
            if h in ("chief complaint", "reason for visit"):
                body = [self.pick(self.complaints)]
            elif h in ("history of present illness", "subjective"):
                body = self.hpi()
            elif h in ("physical exam", "physical examination", "objective"):
                body = self.exam()
            elif h == "review of systems":
                body = ["positive for " + self.pick(self.complaints),
                        "negative for " + self.pick(self.complaints) + " and " +
                        self.pick(self.complaints)]
            elif h == "results":
                body = [" comma ".join(self.lab() for _ in range(r.randint(1, 3)))]
                if r.random() < 0.4:
                    body.append("%s shows %s" % (self.pick(self.tests), self.pick(TEST_RESULTS)))
            elif h == "medications":
                body = [" comma ".join(self.dose() for _ in range(r.randint(1, 3)))]
            elif h == "allergies":
                body = [self.pick(["no known drug allergies", "penicillin", "sulfa drugs",
                                   "codeine causes nausea", "none"])]
            elif h == "past medical history":
                body = [" comma ".join(r.sample(HISTORY, r.randint(1, 4)))]
            elif h == "social history":
                body = [self.pick(["former smoker", "never smoker", "drinks alcohol socially",
                                   "smokes one pack per day", "no drug use"])]
            elif h == "family history":
                body = ["%s in %s" % (self.pick(HISTORY),
                                      self.pick(["mother", "father", "brother", "sister"]))]
            elif h in ("assessment and plan", "assessment", "impression"):
                body = self.assessment()
            else:
                body = [self.plan() for _ in range(r.randint(1, 3))]
            text = " period ".join(body) + self.sentence_end()
            sep = self.pick(["", "new paragraph ", "new paragraph ", "next section ", "new line "])
            lines.append((sep if lines else "") + h + " colon " + text)
        if r.random() < 0.1:
            lines.append("scratch that " + self.fill(self.pick(PLAN)) + " period")
        return " ".join(lines)


def corpus(n_notes, seed=11):
    r = random.Random(seed)
    terms, drugs = read_words("terms.txt")
    harvested, _ = read_words("harvested.txt")
    findings_start = terms.index("hypertension") if "hypertension" in terms else 0
    conditions = [w for w in terms[findings_start:findings_start + 400] if w.isalpha()]
    d = Dictation(r, drugs, conditions)
    out = [d.note() for _ in range(n_notes)]
    # Every lexicon word once, so the recogniser can reach it.
    for w in sorted(set(terms + harvested)):
        out.append(w)
    return out


# ------------------------------------------------------- Kneser-Ney estimation
def discount(counts):
    coc = collections.Counter(c for c in counts.values() if c <= 2)
    n1, n2 = coc.get(1, 0), coc.get(2, 0)
    d = n1 / (n1 + 2 * n2) if n1 + 2 * n2 else 0.5
    return min(max(d, 0.1), 0.9)


def kneser_ney(sentences):
    """Returns {order: {ngram: (log10 prob, log10 backoff or None)}} for a trigram
    interpolated Kneser-Ney model."""
    c3 = collections.Counter()
    c2_raw = collections.Counter()
    for s in sentences:
        w = ["<s>"] + s.split() + ["</s>"]
        for i in range(1, len(w)):
            c2_raw[(w[i - 1], w[i])] += 1
            if i >= 2:
                c3[(w[i - 2], w[i - 1], w[i])] += 1
    # Continuation counts for the lower orders; n-grams starting at <s>
    # have no left context and keep their raw counts.
    c2 = collections.Counter()
    for (u, v, w) in c3:
        c2[(v, w)] += 1
    for (v, w), c in c2_raw.items():
        if v == "<s>":
            c2[(v, w)] = c
    c1 = collections.Counter()
    for (v, w) in c2_raw:
        c1[w] += 1
    vocab = set(c1) | {"<s>"}

    d3, d2 = discount(c3), discount(c2)
    # unigrams: continuation distribution, a little mass for the uniform
    total1 = sum(c1.values())
    p1 = {}
    for w in vocab:
        p1[w] = 0.0 if w == "<s>" else (c1[w] + 1.0 / (len(vocab) - 1)) / (total1 + 1.0)

    def stats(counts):
        ctx_total = collections.Counter()
        ctx_types = collections.Counter()
        for g, c in counts.items():
            ctx_total[g[:-1]] += c
            ctx_types[g[:-1]] += 1
        return ctx_total, ctx_types

    t2, n2 = stats(c2)
    t3, n3 = stats(c3)
    p2 = {}
    for (v, w), c in c2.items():
        p2[(v, w)] = max(c - d2, 0) / t2[(v,)] + d2 * n2[(v,)] / t2[(v,)] * p1[w]
    bow2 = {v: d2 * n2[(v,)] / t2[(v,)] for (v,) in t2}

    def p2_of(v, w):
        if (v, w) in p2:
            return p2[(v, w)]
        return bow2.get(v, 1.0) * p1[w]

    p3 = {}
    for (u, v, w), c in c3.items():
        p3[(u, v, w)] = max(c - d3, 0) / t3[(u, v)] + d3 * n3[(u, v)] / t3[(u, v)] * p2_of(v, w)
    bow3 = {ctx: d3 * n3[ctx] / t3[ctx] for ctx in t3}

    lg = lambda x: math.log10(x) if x > 0 else -99.0
    model = {1: {}, 2: {}, 3: {}}
    for w in sorted(vocab):
        model[1][(w,)] = (lg(p1[w]), lg(bow2[w]) if w in bow2 else None)
    for g in sorted(p2):
        model[2][g] = (lg(p2[g]), lg(bow3[g]) if g in bow3 else None)
    for g in sorted(p3):
        model[3][g] = (lg(p3[g]), None)
    return model


def write_arpa(model, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("# Dictum dictation model: generated by scripts/asr_lm.py "
                "(interpolated Kneser-Ney trigram)\n\n\\data\\\n")
        for n in (1, 2, 3):
            f.write("ngram %d=%d\n" % (n, len(model[n])))
        for n in (1, 2, 3):
            f.write("\n\\%d-grams:\n" % n)
            for g, (lp, bo) in model[n].items():
                line = "%.6f\t%s" % (lp, " ".join(g))
                if bo is not None:
                    line += "\t%.6f" % bo
                f.write(line + "\n")
        f.write("\n\\end\\\n")


def selftest():
    """Every history's distribution sums to one (back-off included)."""
    sents = ["a b c", "a b d", "b c a", "c a b c", "a c", "d"]
    m = kneser_ney(sents)
    vocab = [g[0] for g in m[1] if g[0] != "<s>"]

    def prob(h, w):
        g = tuple(h) + (w,)
        if len(g) == 3 and g in m[3]:
            return 10 ** m[3][g][0]
        if len(g) == 3:
            bo = m[2].get(tuple(h), (0, None))[1]
            return (10 ** bo if bo is not None else 1.0) * prob(h[1:], w)
        if len(g) == 2 and g in m[2]:
            return 10 ** m[2][g][0]
        if len(g) == 2:
            bo = m[1][(h[0],)][1]
            return (10 ** bo if bo is not None else 1.0) * prob((), w)
        return 10 ** m[1][(w,)][0]

    histories = [(), ("a",), ("b",), ("<s>",), ("a", "b"), ("<s>", "a"), ("b", "c"), ("d", "a")]
    for h in histories:
        total = sum(prob(h, w) for w in vocab)
        assert abs(total - 1) < 1e-6, (h, total)
    assert say(145) == "one hundred forty five" and say(40) == "forty"
    assert say_decimal(98.6, random.Random(1)) == "ninety eight point six"
    print("asr_lm selftest: ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=20000)
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "asr", "dictation.lm"))
    ap.add_argument("--corpus", help="also write the generated text here")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    sents = corpus(args.notes)
    if args.corpus:
        with open(args.corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(sents) + "\n")
    model = kneser_ney(sents)
    write_arpa(model, args.out + ".tmp")
    os.replace(args.out + ".tmp", args.out)
    print("asr_lm: %d sentences, %d/%d/%d n-grams -> %s" % (
        len(sents), len(model[1]), len(model[2]), len(model[3]), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
