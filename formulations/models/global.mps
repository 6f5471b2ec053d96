*SENSE:Minimize
NAME          reference_global_assignment
ROWS
 N  cost
 E  expert_0
 E  expert_1
 E  expert_2
 E  expert_3
 L  candidate_0
 L  candidate_1
 L  candidate_2
 L  candidate_3
 L  candidate_4
 L  candidate_5
COLUMNS
    MARK      'MARKER'                 'INTORG'
    x_0_0     expert_0   1.000000000000e+00
    x_0_0     candidate_0   1.000000000000e+00
    x_0_0     cost       2.716000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_1     expert_0   1.000000000000e+00
    x_0_1     candidate_1   1.000000000000e+00
    x_0_1     cost       2.723000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_2     expert_0   1.000000000000e+00
    x_0_2     candidate_2   1.000000000000e+00
    x_0_2     cost       9.660000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_3     expert_0   1.000000000000e+00
    x_0_3     candidate_3   1.000000000000e+00
    x_0_3     cost       1.421000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_4     expert_0   1.000000000000e+00
    x_0_4     candidate_4   1.000000000000e+00
    x_0_4     cost       1.904000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_5     expert_0   1.000000000000e+00
    x_0_5     candidate_5   1.000000000000e+00
    x_0_5     cost       2.261000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_0     expert_1   1.000000000000e+00
    x_1_0     candidate_0   1.000000000000e+00
    x_1_0     cost       1.164000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_1     expert_1   1.000000000000e+00
    x_1_1     candidate_1   1.000000000000e+00
    x_1_1     cost       1.167000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_2     expert_1   1.000000000000e+00
    x_1_2     candidate_2   1.000000000000e+00
    x_1_2     cost       4.140000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_3     expert_1   1.000000000000e+00
    x_1_3     candidate_3   1.000000000000e+00
    x_1_3     cost       6.090000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_4     expert_1   1.000000000000e+00
    x_1_4     candidate_4   1.000000000000e+00
    x_1_4     cost       8.160000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_5     expert_1   1.000000000000e+00
    x_1_5     candidate_5   1.000000000000e+00
    x_1_5     cost       9.690000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_0     expert_2   1.000000000000e+00
    x_2_0     candidate_0   1.000000000000e+00
    x_2_0     cost       2.028000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_1     expert_2   1.000000000000e+00
    x_2_1     candidate_1   1.000000000000e+00
    x_2_1     cost       1.356000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_2     expert_2   1.000000000000e+00
    x_2_2     candidate_2   1.000000000000e+00
    x_2_2     cost       1.932000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_3     expert_2   1.000000000000e+00
    x_2_3     candidate_3   1.000000000000e+00
    x_2_3     cost       1.794000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_4     expert_2   1.000000000000e+00
    x_2_4     candidate_4   1.000000000000e+00
    x_2_4     cost       2.244000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_5     expert_2   1.000000000000e+00
    x_2_5     candidate_5   1.000000000000e+00
    x_2_5     cost       1.434000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_0     expert_3   1.000000000000e+00
    x_3_0     candidate_0   1.000000000000e+00
    x_3_0     cost       1.352000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_1     expert_3   1.000000000000e+00
    x_3_1     candidate_1   1.000000000000e+00
    x_3_1     cost       9.040000000000e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_2     expert_3   1.000000000000e+00
    x_3_2     candidate_2   1.000000000000e+00
    x_3_2     cost       1.288000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_3     expert_3   1.000000000000e+00
    x_3_3     candidate_3   1.000000000000e+00
    x_3_3     cost       1.196000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_4     expert_3   1.000000000000e+00
    x_3_4     candidate_4   1.000000000000e+00
    x_3_4     cost       1.496000000000e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_5     expert_3   1.000000000000e+00
    x_3_5     candidate_5   1.000000000000e+00
    x_3_5     cost       9.560000000000e-03
    MARK      'MARKER'                 'INTEND'
RHS
    RHS       expert_0   1.000000000000e+00
    RHS       expert_1   1.000000000000e+00
    RHS       expert_2   1.000000000000e+00
    RHS       expert_3   1.000000000000e+00
    RHS       candidate_0   1.000000000000e+00
    RHS       candidate_1   1.000000000000e+00
    RHS       candidate_2   1.000000000000e+00
    RHS       candidate_3   1.000000000000e+00
    RHS       candidate_4   1.000000000000e+00
    RHS       candidate_5   1.000000000000e+00
BOUNDS
 BV BND       x_0_0   
 BV BND       x_0_1   
 BV BND       x_0_2   
 BV BND       x_0_3   
 BV BND       x_0_4   
 BV BND       x_0_5   
 BV BND       x_1_0   
 BV BND       x_1_1   
 BV BND       x_1_2   
 BV BND       x_1_3   
 BV BND       x_1_4   
 BV BND       x_1_5   
 BV BND       x_2_0   
 BV BND       x_2_1   
 BV BND       x_2_2   
 BV BND       x_2_3   
 BV BND       x_2_4   
 BV BND       x_2_5   
 BV BND       x_3_0   
 BV BND       x_3_1   
 BV BND       x_3_2   
 BV BND       x_3_3   
 BV BND       x_3_4   
 BV BND       x_3_5   
ENDATA
